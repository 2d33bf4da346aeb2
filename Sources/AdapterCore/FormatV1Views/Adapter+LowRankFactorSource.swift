/// A v1 adapter seen as low-rank targets, so the tensor-generic merge, diff and export take v1
/// adapters too: layer `fc1` adapts tensor `fc1.weight` (output-major), roles `A`, `B` and, for
/// DoRA, `magnitude`. v1's DoRA over output rows is method `dora`; over input columns
/// (`norm_axis = "input"`) it is method `dora_column`.
public struct V1AdapterFactors: LowRankFactorSource {
    /// What reading can throw.
    public typealias Failure = FormatError

    /// The adapter as v2 targets.
    public let manifest: LowRankManifest
    private let layers: [String: AdapterLayer]

    /// Views `adapter` (read from `path`, named in errors).
    public init(_ adapter: Adapter, path: String) throws(FormatError) {
        var targets: [LowRankTarget] = [], layers: [String: AdapterLayer] = [:]
        for layer in adapter.layers {
            var factors: [String: TensorInfo] = [:]
            factors["A"] = TensorInfo(name: "A", dtype: .float32, shape: layer.a.shape)
            factors["B"] = TensorInfo(name: "B", dtype: .float32, shape: layer.b.shape)
            if let magnitude = layer.magnitude { factors["magnitude"] = TensorInfo(name: "magnitude", dtype: .float32, shape: [magnitude.count]) }
            let tensor = layer.name + CheckpointFile.weightSuffix
            targets.append(LowRankTarget(tensor: tensor, rank: layer.rank, scaling: layer.scaling, factors: factors))
            layers[tensor] = layer
        }
        manifest = LowRankManifest(method: Self.methodName(of: adapter), baseFingerprint: nil, targets: targets,
                                   createdBy: adapter.createdBy, provenance: adapter.provenance)
        self.layers = layers
    }

    /// The v2 method name of a v1 adapter: `lora`, `dora` (output rows) or `dora_column`.
    public static func methodName(of adapter: Adapter) -> String {
        adapter.method == .dora && adapter.normAxis == .input ? "dora_column" : adapter.method.rawValue
    }

    /// The factor's values widened to float64.
    public func factorValues(tensor: String, role: String) throws(FormatError) -> [Double] {
        guard let layer = layers[tensor] else { throw .invalidLayer(path: "adapter", layer: tensor, problem: "is not a target of this adapter") }
        switch role {
        case "A": return layer.a.values.map(Double.init)
        case "B": return layer.b.values.map(Double.init)
        case "magnitude" where layer.magnitude != nil: return (layer.magnitude ?? []).map(Double.init)
        default: throw .invalidLayer(path: "adapter", layer: tensor, problem: "has no factor \"\(role)\"")
        }
    }
}
