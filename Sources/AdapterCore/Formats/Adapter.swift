/// How an adapter changes a weight.
public enum AdapterMethod: String, Sendable, Codable, CaseIterable {
    /// W' = W + scaling · B · A.
    case lora
    /// W' = m ⊙ V / ‖V‖ with V = W + scaling · B · A, the norm along ``NormAxis``.
    case dora
}

/// Along which axis of W `[out, in]` DoRA takes its norms (one magnitude per slice).
public enum NormAxis: String, Sendable, Codable, CaseIterable {
    /// One norm per output row (the DoRA paper, PEFT, mlx-lm): magnitude has `out` entries.
    case output
    /// One norm per input column (some from-scratch trainers): magnitude has `in` entries.
    case input
}

/// One adapted layer: the low-rank factors and, for DoRA, the magnitude vector.
public struct AdapterLayer: Equatable, Sendable {
    /// The base layer this adapts.
    public var name: String
    /// A, `[rank, in]`.
    public var a: Matrix
    /// B, `[out, rank]`.
    public var b: Matrix
    /// DoRA's magnitudes (`[out]` or `[in]` by norm axis); nil for LoRA.
    public var magnitude: [Float]?
    /// The factor applied to B · A in this layer (the adapter's, unless overridden per layer).
    public var scaling: Double

    /// Creates an adapted layer.
    public init(name: String, a: Matrix, b: Matrix, magnitude: [Float]? = nil, scaling: Double) {
        self.name = name
        self.a = a
        self.b = b
        self.magnitude = magnitude
        self.scaling = scaling
    }

    /// The layer's rank (rows of A).
    public var rank: Int { a.rows }
    /// Trainable parameters: A, B and the magnitudes.
    public var parameterCount: Int { a.values.count + b.values.count + (magnitude?.count ?? 0) }
}

/// A LoRA or DoRA adapter held in memory (format `adaptool.adapter`, v1).
public struct Adapter: Equatable, Sendable {
    /// LoRA or DoRA.
    public var method: AdapterMethod
    /// The nominal rank (layers may override it, see spec/format.md).
    public var rank: Int
    /// The trainer's alpha, recorded for reference; ``scaling`` is what is applied.
    public var alpha: Double
    /// The factor actually applied: ΔW = scaling · B · A. The single source of truth.
    public var scaling: Double
    /// DoRA's norm axis; nil for LoRA.
    public var normAxis: NormAxis?
    /// The fingerprint of the checkpoint the adapter was trained on.
    public var baseFingerprint: String
    /// A JSON document describing how the adapter was produced.
    public var provenance: String?
    /// The tool that wrote the file.
    public var createdBy: String?
    /// The adapted layers, in `target_layers` order.
    public var layers: [AdapterLayer]

    /// Creates an adapter.
    public init(method: AdapterMethod, rank: Int, alpha: Double, scaling: Double, normAxis: NormAxis? = nil,
                baseFingerprint: String, layers: [AdapterLayer], provenance: String? = nil, createdBy: String? = nil) {
        self.method = method
        self.rank = rank
        self.alpha = alpha
        self.scaling = scaling
        self.normAxis = normAxis
        self.baseFingerprint = baseFingerprint
        self.layers = layers
        self.provenance = provenance
        self.createdBy = createdBy
    }

    /// The names of the adapted layers.
    public var targetLayers: [String] { layers.map(\.name) }

    /// The adapted layer called `name`, if any.
    public func layer(named name: String) -> AdapterLayer? { layers.first { $0.name == name } }

    /// Trainable parameters over all layers.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }
}
