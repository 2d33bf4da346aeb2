import AdapterCore

/// The one place that knows an MLP's layers chain: it reads a checkpoint of either format as the
/// in-memory ``Checkpoint`` the training engine runs (a v1 file, or a v2 file whose architecture
/// is `"mlp"`: tensors `<layer>.weight` `[out, in]` and `<layer>.bias` `[out]` for each name in
/// `layer_names`, each layer's input the previous one's output), and adapters on it as ``Adapter``.
public enum MLPView {
    /// A checkpoint ready to run, with the fingerprint adapters made for it record (the v1 recipe
    /// for a v1 file, the v2 model fingerprint for a v2 file).
    public struct Loaded: Sendable {
        /// The layers and metadata.
        public var checkpoint: Checkpoint
        /// What an adapter's `base_fingerprint` must equal.
        public var fingerprint: String
    }

    /// Reads the MLP checkpoint at `path` (v1, or v2 with architecture `"mlp"`).
    public static func checkpoint(at path: String) throws(FormatError) -> Loaded {
        guard FormatProbe.probe(path: path)?.version == FormatV2.version else {
            let checkpoint = try CheckpointFile(path: path).read()
            return Loaded(checkpoint: checkpoint, fingerprint: checkpoint.computeFingerprint())
        }
        let file = try TensorCheckpointFile(path: path)
        func invalid(_ layer: String, _ problem: String) -> FormatError { .invalidLayer(path: path, layer: layer, problem: problem) }
        guard file.architecture == FormatV2.mlpArchitecture, let order = file.metadata.layerOrder, !order.isEmpty else {
            throw .invalidAttribute(path: path, object: "the root group", name: "architecture",
                                    problem: "is \"\(file.architecture)\"\(file.metadata.layerOrder == nil ? " without layer_names" : ""); train and eval run MLPs (architecture \"mlp\" with layer_names)")
        }
        var layers: [Layer] = []
        for name in order {
            guard let weight = file.info(named: name + CheckpointFile.weightSuffix), weight.shape.count == 2, weight.dtype.isFloatingPoint else {
                throw invalid(name, "needs a 2-D floating tensor \(name).weight [out, in]")
            }
            let (out, inputs) = (weight.shape[0], weight.shape[1])
            guard let bias = file.info(named: name + CheckpointFile.biasSuffix), bias.shape == [out], bias.dtype.isFloatingPoint else {
                throw invalid(name, "needs a floating tensor \(name).bias of shape [\(out)]")
            }
            if let previous = layers.last, previous.outputSize != inputs {
                throw invalid(name, "takes \(inputs) inputs but the previous layer \"\(previous.name)\" has \(previous.outputSize) outputs")
            }
            let weights = try file.float64Values(of: weight.name).map(Float.init), biases = try file.float64Values(of: bias.name).map(Float.init)
            guard weights.allSatisfy(\.isFinite), biases.allSatisfy(\.isFinite) else { throw invalid(name, "holds NaN or infinite values") }
            layers.append(Layer(name: name, weight: Matrix(rows: out, columns: inputs, values: weights), bias: biases))
        }
        let known = Set(order.flatMap { [$0 + CheckpointFile.weightSuffix, $0 + CheckpointFile.biasSuffix] })
        if let extra = file.tensors.first(where: { !known.contains($0.name) }) {
            throw .invalidTensor(path: path, tensor: extra.name, problem: "is not the weight or bias of a layer in layer_names, so the MLP would ignore it")
        }
        let v2 = file.metadata
        var metadata = CheckpointMetadata(inputShape: v2.inputShape, normalizationMean: v2.normalizationMean, normalizationStd: v2.normalizationStd,
                                          classNames: v2.classNames, createdBy: v2.createdBy, provenance: v2.provenance)
        metadata.activation = v2.activation ?? metadata.activation
        return Loaded(checkpoint: Checkpoint(layers: layers, metadata: metadata), fingerprint: file.fingerprint)
    }

    /// The training engine's layer type for each v2 method it runs: the v2 name → (v1 method, norm
    /// axis). The engine's LoRA and DoRA layers predate the method registry.
    static let engineMethods: [String: (AdapterMethod, NormAxis?)] = ["lora": (.lora, nil), "dora": (.dora, .output), "dora_column": (.dora, .input)]

    /// Reads the adapter at `path` (v1, or v2 targeting `<layer>.weight` tensors) for the engine.
    public static func adapter(at path: String) throws(FormatError) -> Adapter {
        guard FormatProbe.probe(path: path)?.version == FormatV2.version else { return try Adapter.read(from: path) }
        let file = try TensorAdapterFile(path: path)
        let manifest = file.manifest
        guard let (method, axis) = engineMethods[manifest.method] else {
            throw .invalidAttribute(path: path, object: "the root group", name: "method",
                                    problem: "is \"\(manifest.method)\"; train and eval run \(engineMethods.keys.sorted().joined(separator: ", ")) adapters (merge handles every method)")
        }
        var layers: [AdapterLayer] = []
        for target in manifest.targets {
            guard target.tensor.hasSuffix(CheckpointFile.weightSuffix), target.layout == .outputMajor,
                  let a = target.factors["A"], let b = target.factors["B"] else {
                throw .invalidTensor(path: path, tensor: target.tensor, problem: "is not an MLP layer's weight target (<layer>.weight, layout out_in, factors A and B)")
            }
            func matrix(_ info: TensorInfo, _ role: String) throws(FormatError) -> Matrix {
                Matrix(rows: info.shape[0], columns: info.shape[1], values: try file.factorValues(tensor: target.tensor, role: role).map(Float.init))
            }
            let magnitude = try target.factors["magnitude"].map { _ throws(FormatError) in
                try file.factorValues(tensor: target.tensor, role: "magnitude").map(Float.init)
            }
            layers.append(AdapterLayer(name: String(target.tensor.dropLast(CheckpointFile.weightSuffix.count)), a: try matrix(a, "A"),
                                       b: try matrix(b, "B"), magnitude: magnitude, scaling: target.scaling))
        }
        let rank = layers.map(\.rank).max() ?? 0, scaling = layers.first?.scaling ?? 1
        return Adapter(method: method, rank: rank, alpha: scaling * Double(rank), scaling: scaling, normAxis: axis,
                       baseFingerprint: manifest.baseFingerprint ?? "", layers: layers, provenance: manifest.provenance, createdBy: manifest.createdBy)
    }
}
