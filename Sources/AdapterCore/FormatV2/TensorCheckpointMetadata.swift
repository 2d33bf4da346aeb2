/// The root attributes of a v2 checkpoint besides `format`, `format_version` and `fingerprint`.
public struct TensorCheckpointMetadata: Sendable, Equatable {
    /// `"mlp"`, the source config.json's `model_type` (`"llama"`, `"gpt2"`), or `"unknown"`.
    public var architecture: String
    /// The tool that wrote the file (`created_by`).
    public var createdBy: String?
    /// A JSON document describing how the file was produced (`provenance`).
    public var provenance: String?
    /// The source safetensors header's `__metadata__`, as JSON text (`safetensors_metadata`).
    public var safetensorsMetadata: String?
    /// An MLP's activation between layers (`activation`, architecture `"mlp"` only).
    public var activation: String?
    /// An MLP's layers in forward order, as tensor-name prefixes (`layer_names`, architecture `"mlp"` only).
    public var layerOrder: [String]?
    /// An MLP's input shape before flattening (`input_shape`, e.g. `[3, 32, 32]`).
    public var inputShape: [Int]?
    /// Per-channel mean subtracted from inputs scaled to [0, 1] (`normalization_mean`).
    public var normalizationMean: [Double]?
    /// Per-channel standard deviation inputs are divided by (`normalization_std`).
    public var normalizationStd: [Double]?
    /// Names of a classifier's outputs, in logit order (`class_names`).
    public var classNames: [String]?

    /// Creates metadata; only the architecture is required.
    public init(architecture: String, createdBy: String? = nil, provenance: String? = nil, safetensorsMetadata: String? = nil,
                activation: String? = nil, layerOrder: [String]? = nil) {
        (self.architecture, self.createdBy, self.provenance, self.safetensorsMetadata) = (architecture, createdBy, provenance, safetensorsMetadata)
        (self.activation, self.layerOrder) = (activation, layerOrder)
    }

    /// Reads the metadata attributes of a v2 checkpoint's root group.
    init(reading attributes: V1AttributeReader) throws(FormatError) {
        architecture = try attributes.string("architecture")
        guard !architecture.isEmpty else { throw attributes.invalid("architecture", "is empty; expected \"mlp\", a model_type or \"unknown\"") }
        createdBy = try attributes.optionalString("created_by")
        provenance = try attributes.optionalString("provenance")
        safetensorsMetadata = try attributes.optionalString("safetensors_metadata")
        activation = try attributes.optionalString("activation")
        layerOrder = try attributes.optionalStrings("layer_names")
        inputShape = try attributes.optionalIntegers("input_shape")
        normalizationMean = try attributes.optionalNumbers("normalization_mean")
        normalizationStd = try attributes.optionalNumbers("normalization_std")
        classNames = try attributes.optionalStrings("class_names")
    }

    /// Writes the metadata attributes.
    func write(to attributes: V1AttributeWriter) throws(FormatError) {
        try attributes.set("architecture", .string(architecture))
        try attributes.set("created_by", .string(createdBy ?? FormatV1.toolVersion))
        try attributes.set("provenance", provenance.map { .string($0) })
        try attributes.set("safetensors_metadata", safetensorsMetadata.map { .string($0) })
        try attributes.set("activation", activation.map { .string($0) })
        try attributes.set("layer_names", layerOrder.map { .strings($0) })
        try attributes.set("input_shape", inputShape.map { .integers($0.map(Int64.init)) })
        try attributes.set("normalization_mean", normalizationMean.map { .doubles($0) })
        try attributes.set("normalization_std", normalizationStd.map { .doubles($0) })
        try attributes.set("class_names", classNames.map { .strings($0) })
    }
}

extension V1AttributeReader {
    /// Checks `format` and that `format_version` is 2: the first thing read from a v2 file. A v1
    /// file is ``FormatError/unsupportedVersion(path:found:supported:)`` naming the v1 readers.
    func requireFormatV2(_ expected: String) throws(FormatError) {
        let found: String?
        if case .string(let text)? = try optional("format") { found = text } else { found = nil }
        guard found == expected else { throw .wrongKind(path: filePath, expected: expected, found: found) }
        let version = try integer("format_version")
        guard version == FormatV2.version else { throw .unsupportedVersion(path: filePath, found: version, supported: FormatV2.version) }
    }

    /// An optional digest attribute (`base_fingerprint`), checked to be 64 lower-case hex digits.
    func optionalDigest(_ name: String) throws(FormatError) -> String? {
        guard let text = try optionalString(name) else { return nil }
        guard TensorDigest.isDigest(text) else { throw invalid(name, "is \"\(text.prefix(80))\"; expected 64 lower-case hex digits") }
        return text
    }
}
