/// One linear layer of an MLP: `y = x · weightᵀ + bias`, weight shaped `[out, in]`.
public struct Layer: Equatable, Sendable {
    /// The layer's name, as listed in `layer_names` (e.g. `fc1` or `layers.0`).
    public var name: String
    /// The weight, `[out, in]`.
    public var weight: Matrix
    /// The bias, `[out]`.
    public var bias: [Float]

    /// Creates a layer; `bias.count` must equal `weight.rows`.
    public init(name: String, weight: Matrix, bias: [Float]) {
        precondition(bias.count == weight.rows, "bias of \(bias.count) for a weight with \(weight.rows) rows")
        self.name = name
        self.weight = weight
        self.bias = bias
    }

    /// Output features (rows of the weight).
    public var outputSize: Int { weight.rows }
    /// Input features (columns of the weight).
    public var inputSize: Int { weight.columns }
    /// Weights plus biases.
    public var parameterCount: Int { weight.values.count + bias.count }
}

/// The descriptive attributes of a checkpoint: everything but the weights.
public struct CheckpointMetadata: Equatable, Sendable {
    /// Always `mlp` in format v1.
    public var architecture: String = "mlp"
    /// The activation between layers; `relu` in format v1.
    public var activation: String = "relu"
    /// Shape of one input before flattening, e.g. `[3, 32, 32]`.
    public var inputShape: [Int]?
    /// Per-channel mean subtracted from inputs scaled to [0, 1].
    public var normalizationMean: [Double]?
    /// Per-channel standard deviation inputs are divided by.
    public var normalizationStd: [Double]?
    /// Names of the output classes, in logit order.
    public var classNames: [String]?
    /// The tool and version that wrote the file.
    public var createdBy: String?
    /// A JSON document describing how the file was produced.
    public var provenance: String?

    /// Metadata with the v1 defaults and no optional fields.
    public init(inputShape: [Int]? = nil, normalizationMean: [Double]? = nil, normalizationStd: [Double]? = nil,
                classNames: [String]? = nil, createdBy: String? = nil, provenance: String? = nil) {
        self.inputShape = inputShape
        self.normalizationMean = normalizationMean
        self.normalizationStd = normalizationStd
        self.classNames = classNames
        self.createdBy = createdBy
        self.provenance = provenance
    }
}

/// A base or merged MLP checkpoint held in memory (format `adaptool.checkpoint`, v1).
public struct Checkpoint: Equatable, Sendable {
    /// Attributes other than the layer list and fingerprint.
    public var metadata: CheckpointMetadata
    /// The layers in forward order.
    public var layers: [Layer]

    /// Creates a checkpoint from layers in forward order.
    public init(layers: [Layer], metadata: CheckpointMetadata = CheckpointMetadata()) {
        self.layers = layers
        self.metadata = metadata
    }

    /// Layer names in forward order.
    public var layerNames: [String] { layers.map(\.name) }

    /// The layer called `name`, if any.
    public func layer(named name: String) -> Layer? { layers.first { $0.name == name } }

    /// Total weights and biases.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }
}
