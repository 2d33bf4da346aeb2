/// How a 2-D weight is laid out in its file. Adapter factors are always in PEFT's orientation
/// (A `[rank, in]`, B `[out, rank]`), so a merge transposes ΔW for an `inputMajor` weight.
public enum WeightLayout: String, Sendable, Equatable, CaseIterable {
    /// `[out, in]`, as `torch.nn.Linear` stores it (almost every model).
    case outputMajor = "out_in"
    /// `[in, out]`, as GPT-2's `Conv1D` stores it (PEFT's `fan_in_fan_out = True`).
    case inputMajor = "in_out"
}

/// One tensor an adapter changes: which base tensor, at what rank and scaling, and the stored
/// factor tensors by role (`"A"`, `"B"`, `"magnitude"`, … as the method declares them).
public struct LowRankTarget: Sendable, Equatable {
    /// The exact name of the base tensor it adapts (`model.layers.0.self_attn.q_proj.weight`).
    public var tensor: String
    /// The rank of this target (PEFT's `rank_pattern` lets it differ per target).
    public var rank: Int
    /// The factor actually applied: ΔW = scaling · B · A (PEFT's alpha/r, alpha/√r, patterns resolved).
    public var scaling: Double
    /// How the base tensor is laid out.
    public var layout: WeightLayout
    /// The factor tensors by role; each `TensorInfo.name` is the role name.
    public var factors: [String: TensorInfo]

    /// Creates a target.
    public init(tensor: String, rank: Int, scaling: Double, layout: WeightLayout = .outputMajor, factors: [String: TensorInfo]) {
        (self.tensor, self.rank, self.scaling, self.layout, self.factors) = (tensor, rank, scaling, layout, factors)
    }

    /// The base weight's `(out, in)`, given the base tensor's stored shape; nil unless it is 2-D.
    public func outputsAndInputs(ofBaseShape shape: [Int]) -> (out: Int, inputs: Int)? {
        guard shape.count == 2 else { return nil }
        return layout == .outputMajor ? (shape[0], shape[1]) : (shape[1], shape[0])
    }
}

/// What an adapter is, without its factor values: its method (a name in the method registry), the
/// model it was made for, and its targets in stored order.
public struct LowRankManifest: Sendable, Equatable {
    /// The method's registry name (`"lora"`, `"dora"`).
    public var method: String
    /// The v2 model fingerprint of the base (nil when the source did not say, e.g. a PEFT folder).
    public var baseFingerprint: String?
    /// The targets, in stored order, one per base tensor.
    public var targets: [LowRankTarget]
    /// The tool that wrote the adapter.
    public var createdBy: String?
    /// A JSON document describing how it was produced.
    public var provenance: String?

    /// Creates a manifest.
    public init(method: String, baseFingerprint: String? = nil, targets: [LowRankTarget], createdBy: String? = nil, provenance: String? = nil) {
        (self.method, self.baseFingerprint, self.targets, self.createdBy, self.provenance) = (method, baseFingerprint, targets, createdBy, provenance)
    }

    /// The target adapting base tensor `name`, if any (a dictionary built on demand would be faster
    /// for repeated lookups: see ``targetsByTensor``).
    public var targetsByTensor: [String: LowRankTarget] {
        Dictionary(targets.map { ($0.tensor, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

/// Where an adapter's factor values come from (an HDF5 v2 adapter, a PEFT folder, memory): each
/// factor of each target, widened to float64, row-major.
public protocol LowRankFactorSource<Failure> {
    /// What reading can throw.
    associatedtype Failure: Error
    /// The adapter's manifest.
    var manifest: LowRankManifest { get }
    /// The values of `role` of the target adapting `tensor`, widened exactly to float64.
    func factorValues(tensor: String, role: String) throws(Failure) -> [Double]
}
