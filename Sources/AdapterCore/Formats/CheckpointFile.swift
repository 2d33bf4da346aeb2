/// A checkpoint file opened for reading: its metadata and layer shapes are read and validated
/// on open; weights are read only when asked for, one layer at a time.
public final class CheckpointFile {
    /// The file's path.
    public let path: String
    /// Descriptive attributes.
    public let metadata: CheckpointMetadata
    /// Layer names in forward order.
    public let layerNames: [String]
    /// The fingerprint the file claims (recompute with ``verifiedFingerprint()``).
    public let storedFingerprint: String
    /// Each layer's weight and bias datasets, in `layerNames` order.
    public let datasets: [(weight: DatasetSummary, bias: DatasetSummary)]
    /// Every root attribute, for display.
    package let rootAttributes: [(name: String, value: HDF5AttributeValue)]

    let layersGroup: HDF5Group
    /// Each layer's position in ``layerNames``: a lookup by name must not scan the list (thousands of layers).
    let layerIndex: [String: Int]

    /// Opens and validates `path`, reading metadata only.
    public init(path: String) throws(FormatError) {
        self.path = path
        let root = try FormatError.wrapping { () throws(HDF5Error) in try HDF5File.openReadOnly(path).rootGroup() }
        let attributes = V1AttributeReader(holder: root, filePath: path)
        try attributes.requireFormat(FormatV1.checkpointFormat)

        var metadata = CheckpointMetadata()
        metadata.architecture = try attributes.string("architecture")
        metadata.activation = try attributes.string("activation")
        metadata.inputShape = try attributes.optionalIntegers("input_shape")
        metadata.normalizationMean = try attributes.optionalNumbers("normalization_mean")
        metadata.normalizationStd = try attributes.optionalNumbers("normalization_std")
        metadata.classNames = try attributes.optionalStrings("class_names")
        metadata.createdBy = try attributes.optionalString("created_by")
        metadata.provenance = try attributes.optionalString("provenance")
        try metadata.validate(inputs: nil, outputs: nil, path: path)
        self.metadata = metadata

        layerNames = try attributes.layerNameList("layer_names")
        layerIndex = Dictionary(layerNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        storedFingerprint = try attributes.string("fingerprint")
        guard V1Rules.isFingerprint(storedFingerprint) else {
            throw attributes.invalid("fingerprint", "must be 64 lower-case hex digits (SHA-256)")
        }

        layersGroup = try FormatError.wrapping { () throws(HDF5Error) in try root.openGroup(FormatV1.layersGroup) }
        var datasets: [(weight: DatasetSummary, bias: DatasetSummary)] = []
        for name in layerNames {
            datasets.append(try Self.summarizeLayer(name, in: layersGroup, path: path))
        }
        self.datasets = datasets
        rootAttributes = try FormatError.wrapping { () throws(HDF5Error) in
            try root.attributeNames().map { name throws(HDF5Error) in (name, try root.attribute(name) ?? .unsupported("missing")) }
        }
        try validateShapes()
        try metadata.validate(inputs: datasets.first?.weight.shape[1], outputs: datasets.last?.weight.shape[0], path: path)
    }

    private static func summarizeLayer(_ name: String, in group: HDF5Group, path: String) throws(FormatError) -> (weight: DatasetSummary, bias: DatasetSummary) {
        try FormatError.wrapping { () throws(HDF5Error) in
            let layer = try group.openGroup(name)
            return (try DatasetSummary(validating: layer.openDataset("weight")), try DatasetSummary(validating: layer.openDataset("bias")))
        }
    }

    /// Shapes must be `[out, in]` and `[out]`, float, and chain from one layer to the next (the
    /// attributes that depend on them are checked by ``CheckpointMetadata/validate(inputs:outputs:path:)``).
    private func validateShapes() throws(FormatError) {
        var previousOut: Int?
        for (name, pair) in zip(layerNames, datasets) {
            let (weight, bias) = pair
            guard weight.shape.count == 2 else { throw .invalidLayer(path: path, layer: name, problem: "weight has shape \(weight.shape), expected [out, in]") }
            guard bias.shape == [weight.shape[0]] else { throw .invalidLayer(path: path, layer: name, problem: "bias has shape \(bias.shape), expected [\(weight.shape[0])] to match weight \(weight.shape)") }
            for summary in [weight, bias] where !["float16", "float32", "float64"].contains(summary.dtype) {
                throw .invalidLayer(path: path, layer: name, problem: "\(summary.path) is \(summary.dtype), expected float32 (float16 and float64 are read too)")
            }
            if let previousOut, weight.shape[1] != previousOut {
                throw .invalidLayer(path: path, layer: name, problem: "takes \(weight.shape[1]) inputs but the previous layer gives \(previousOut)")
            }
            previousOut = weight.shape[0]
        }
    }

    /// `[out, in]` of each layer, in order.
    public var layerShapes: [(name: String, out: Int, in: Int)] {
        zip(layerNames, datasets).map { ($0, $1.weight.shape[0], $1.weight.shape[1]) }
    }

    /// `[out, in]` of the layer called `name`, nil when the checkpoint has no such layer.
    public func layerShape(_ name: String) -> [Int]? { layerIndex[name].map { datasets[$0].weight.shape } }

    /// Total weights and biases.
    public var parameterCount: Int { datasets.reduce(0) { $0 + $1.weight.elementCount + $1.bias.elementCount } }

    /// Reads one layer's weight and bias (widened to float32).
    public func readLayer(_ name: String) throws(FormatError) -> Layer {
        guard let index = layerIndex[name] else {
            throw .invalidLayer(path: path, layer: name, problem: "not in this checkpoint (layers: \(layerNames.joined(separator: ", ")))")
        }
        let shape = datasets[index].weight.shape
        let (weight, bias) = try FormatError.wrapping { () throws(HDF5Error) in
            let group = try layersGroup.openGroup(name)
            return (try group.openDataset("weight").readFloats(), try group.openDataset("bias").readFloats())
        }
        return Layer(name: name, weight: Matrix(rows: shape[0], columns: shape[1], values: weight), bias: bias)
    }

    /// Reads every layer into memory.
    public func read() throws(FormatError) -> Checkpoint {
        var layers: [Layer] = []
        for name in layerNames { layers.append(try readLayer(name)) }
        return Checkpoint(layers: layers, metadata: metadata)
    }

    /// Reads every layer, recomputes the fingerprint and returns it with any non-finite values found.
    public func verify() throws(FormatError) -> (fingerprint: String, nonFinite: [(layer: String, count: Int)]) {
        var hasher = FingerprintHasher()
        var nonFinite: [(layer: String, count: Int)] = []
        for name in layerNames {
            let layer = try readLayer(name)
            hasher.update(name: name, weight: layer.weight, bias: layer.bias)
            let bad = layer.weight.values.lazy.filter { !$0.isFinite }.count + layer.bias.lazy.filter { !$0.isFinite }.count
            if bad > 0 { nonFinite.append((name, bad)) }
        }
        return (hasher.finalize(), nonFinite)
    }
}

extension Checkpoint {
    /// Reads and validates a whole checkpoint file.
    public static func read(from path: String) throws(FormatError) -> Checkpoint {
        try CheckpointFile(path: path).read()
    }
}
