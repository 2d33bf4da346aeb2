/// A v1 adapter seen as low-rank targets, so the tensor-generic merge, diff and export take v1
/// adapters too: layer `fc1` adapts tensor `fc1.weight` (output-major), roles `A`, `B` and, for
/// DoRA, `magnitude`. DoRA normalising input columns has no v2 method and is refused by
/// ``V1AdapterFactors/init(_:path:)``.
public struct V1AdapterFactors: LowRankFactorSource {
    /// What reading can throw.
    public typealias Failure = FormatError

    /// The adapter as v2 targets.
    public let manifest: LowRankManifest
    private let layers: [String: AdapterLayer]

    /// Views `adapter` (read from `path`, named in errors).
    public init(_ adapter: Adapter, path: String) throws(FormatError) {
        if adapter.method == .dora, adapter.normAxis == .input {
            throw .invalidAttribute(path: path, object: "/", name: "norm_axis",
                                    problem: "is \"input\"; only DoRA over output rows (PEFT's, norm_axis \"output\") has a v2 method, so this adapter stays a v1 file")
        }
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
        manifest = LowRankManifest(method: adapter.method.rawValue, baseFingerprint: nil, targets: targets,
                                   createdBy: adapter.createdBy, provenance: adapter.provenance)
        self.layers = layers
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
