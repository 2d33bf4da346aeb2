import AdapterCore

/// An adapter together with the weight its update is applied with (`--scale` / `--weights`).
public struct WeightedAdapter: Sendable {
    /// The adapter.
    public var adapter: Adapter
    /// The multiplier s in W' = W + s · scaling · B · A (1 by default).
    public var weight: Double
    /// A name for messages, usually the file path.
    public var label: String

    /// Pairs an adapter with its weight.
    public init(_ adapter: Adapter, weight: Double = 1, label: String = "adapter") {
        self.adapter = adapter
        self.weight = weight
        self.label = label
    }
}

/// Merging adapters into base weights (spec/math.md §Merge).
public enum AdapterMerge {
    /// Checks that `adapters` may be merged into a base with `fingerprint` and layer shapes `shapes`:
    /// DoRA alone, fingerprints equal (unless `ignoreFingerprint`), every adapted layer present with
    /// fitting factor shapes, finite factors and weights.
    public static func validate(
        _ adapters: [WeightedAdapter], baseFingerprint: String, shapes: [(name: String, out: Int, in: Int)], ignoreFingerprint: Bool = false
    ) throws(MergeError) {
        if adapters.count > 1, adapters.contains(where: { $0.adapter.method == .dora }) { throw .doraCombined(count: adapters.count) }
        let shapeOf = Dictionary(shapes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for entry in adapters {
            let adapter = entry.adapter
            if !ignoreFingerprint, adapter.baseFingerprint != baseFingerprint {
                throw .fingerprintMismatch(adapter: entry.label, expected: adapter.baseFingerprint, base: baseFingerprint)
            }
            guard entry.weight.isFinite else { throw .nonFiniteInput(adapter: entry.label, layer: nil, what: "weight \(entry.weight)") }
            for layer in adapter.layers {
                guard let shape = shapeOf[layer.name] else {
                    throw .missingLayer(adapter: entry.label, layer: layer.name, baseLayers: shapes.map(\.name))
                }
                guard layer.a.columns == shape.in, layer.b.rows == shape.out, layer.b.columns == layer.a.rows else {
                    throw .shapeMismatch(adapter: entry.label, layer: layer.name,
                                         problem: "lora_B \(layer.b.shape) · lora_A \(layer.a.shape) does not give the base weight's shape [\(shape.out), \(shape.in)]")
                }
                if let magnitude = layer.magnitude, let axis = adapter.normAxis {
                    let expected = axis == .output ? shape.out : shape.in
                    guard magnitude.count == expected else {
                        throw .shapeMismatch(adapter: entry.label, layer: layer.name,
                                             problem: "magnitude has \(magnitude.count) entries but norm_axis \(axis.rawValue) of a [\(shape.out), \(shape.in)] weight needs \(expected)")
                    }
                }
                guard layer.scaling.isFinite, layer.a.isFinite, layer.b.isFinite, layer.magnitude?.allSatisfy(\.isFinite) ?? true else {
                    throw .nonFiniteInput(adapter: entry.label, layer: layer.name, what: "its factors, magnitude or scaling")
                }
            }
        }
    }

    /// Throws unless every weight and bias value of the base layer `layer` (read from `source`) is
    /// finite: a NaN or ±∞ in a layer no adapter touches, or in a bias, would otherwise be copied
    /// into the output unnoticed.
    public static func requireFinite(_ layer: Layer, source: String) throws(MergeError) {
        guard layer.weight.isFinite else { throw .nonFiniteInput(adapter: source, layer: layer.name, what: "the base weight") }
        guard layer.bias.allSatisfy(\.isFinite) else { throw .nonFiniteInput(adapter: source, layer: layer.name, what: "the base bias") }
    }

    /// Returns `layer` with every matching adapter layer folded in: W + Σ sᵢ · scalingᵢ · Bᵢ · Aᵢ
    /// for LoRA, m ⊙ V / ‖V‖ for DoRA, accumulated in float64 and rounded once to float32.
    public static func merge(_ layer: Layer, with adapters: [WeightedAdapter]) throws(MergeError) -> Layer {
        var result = layer
        try fold(&result, adapters, sign: 1)
        return result
    }

    /// Returns `layer` with LoRA adapters' updates removed: W = W' − Σ sᵢ · scalingᵢ · Bᵢ · Aᵢ.
    /// DoRA is refused (``MergeError/notInvertible(reason:)``): see ``doraNotInvertibleReason``.
    public static func unmerge(_ layer: Layer, removing adapters: [WeightedAdapter]) throws(MergeError) -> Layer {
        var result = layer
        try fold(&result, adapters, sign: -1)
        return result
    }

    /// Why a DoRA merge cannot be undone.
    public static let doraNotInvertibleReason =
        "a DoRA merge cannot be undone: W' = m ⊙ V/‖V‖ keeps only V's direction, and recovering W = V − scaling·B·A needs the norms ‖V‖ of the original base, which the merged checkpoint no longer holds; keep the base checkpoint instead"

    /// Folds the adapters' updates into `layer` in place (`sign` −1 removes LoRA updates), so a
    /// streaming caller that owns the layer's storage never copies it.
    static func fold(_ layer: inout Layer, _ adapters: [WeightedAdapter], sign: Double) throws(MergeError) {
        if sign < 0, adapters.contains(where: { $0.adapter.method == .dora }) { throw .notInvertible(reason: doraNotInvertibleReason) }
        let parts = adapters.compactMap { entry in entry.adapter.layer(named: layer.name).map { (entry, $0) } }
        if parts.isEmpty { return }
        if parts.count > 1, parts.contains(where: { $0.0.adapter.method == .dora }) { throw .doraCombined(count: parts.count) }
        let terms = parts.map { LowRankTerm(coefficient: sign * $0.0.weight * $0.1.scaling, factors: $0.1) }
        var magnitude: (values: [Float], axis: NormAxis)?
        if case let (entry, adapterLayer)? = parts.first, entry.adapter.method == .dora {
            guard let values = adapterLayer.magnitude, let axis = entry.adapter.normAxis else {
                throw .shapeMismatch(adapter: entry.label, layer: layer.name, problem: "a DoRA layer needs a magnitude vector and a norm axis")
            }
            magnitude = (values, axis)
        }
        try MergeKernel.fold(&layer.weight, layer: layer.name, terms: terms, magnitude: magnitude)
    }
}

extension Checkpoint {
    /// This checkpoint with `adapters` merged in (validated first). Provenance is left to the caller.
    public func merged(with adapters: [WeightedAdapter], baseFingerprint: String, ignoreFingerprint: Bool = false) throws(MergeError) -> Checkpoint {
        try AdapterMerge.validate(adapters, baseFingerprint: baseFingerprint,
                                  shapes: layers.map { ($0.name, $0.outputSize, $0.inputSize) }, ignoreFingerprint: ignoreFingerprint)
        var result = self
        for index in result.layers.indices {
            try AdapterMerge.requireFinite(layers[index], source: "the base checkpoint")
            result.layers[index] = try AdapterMerge.merge(layers[index], with: adapters)
        }
        return result
    }
}
