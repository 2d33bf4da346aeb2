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
    /// Checks that `adapters` may be merged into a base with `fingerprint` and layer shapes `shapes`.
    public static func validate(
        _ adapters: [WeightedAdapter], baseFingerprint: String, shapes: [(name: String, out: Int, in: Int)], ignoreFingerprint: Bool = false
    ) throws(MergeError) {
        if adapters.count > 1, adapters.contains(where: { $0.adapter.method == .dora }) { throw .doraCombined(count: adapters.count) }
        for entry in adapters {
            let adapter = entry.adapter
            if !ignoreFingerprint, adapter.baseFingerprint != baseFingerprint {
                throw .fingerprintMismatch(adapter: entry.label, expected: adapter.baseFingerprint, base: baseFingerprint)
            }
            for layer in adapter.layers {
                guard let shape = shapes.first(where: { $0.name == layer.name }) else {
                    throw .missingLayer(adapter: entry.label, layer: layer.name, baseLayers: shapes.map(\.name))
                }
                guard layer.a.columns == shape.in, layer.b.rows == shape.out else {
                    throw .shapeMismatch(adapter: entry.label, layer: layer.name,
                                         problem: "B·A is [\(layer.b.rows), \(layer.a.columns)] but the base weight is [\(shape.out), \(shape.in)]")
                }
            }
        }
    }

    /// Returns `layer` with every matching adapter layer folded in, computed in float64 and
    /// rounded once to float32.
    public static func merge(_ layer: Layer, with adapters: [WeightedAdapter]) throws(MergeError) -> Layer {
        let parts = adapters.compactMap { entry in entry.adapter.layer(named: layer.name).map { (entry, $0) } }
        if parts.isEmpty { return layer }
        let rows = layer.weight.rows, columns = layer.weight.columns
        var merged = layer.weight.values.map(Double.init)
        for (entry, adapterLayer) in parts {
            let factor = entry.weight * adapterLayer.scaling
            let b = adapterLayer.b.values.map(Double.init), a = adapterLayer.a.values.map(Double.init)
            b.withUnsafeBufferPointer { pb in
                a.withUnsafeBufferPointer { pa in
                    merged.withUnsafeMutableBufferPointer { pc in
                        BLAS.gemm(.none, .none, m: rows, n: columns, k: adapterLayer.rank, alpha: factor,
                                  a: pb.baseAddress!, lda: adapterLayer.rank, b: pa.baseAddress!, ldb: columns,
                                  beta: 1, c: pc.baseAddress!, ldc: columns)
                    }
                }
            }
            if entry.adapter.method == .dora, let magnitude = adapterLayer.magnitude, let axis = entry.adapter.normAxis {
                applyMagnitude(magnitude, axis: axis, to: &merged, rows: rows, columns: columns)
            }
        }
        let values = merged.map(Float.init)
        guard values.allSatisfy(\.isFinite) else { throw .nonFinite(layer: layer.name) }
        return Layer(name: layer.name, weight: Matrix(rows: rows, columns: columns, values: values), bias: layer.bias)
    }

    /// W' = m ⊙ V / ‖V‖ with the norm per output row or per input column.
    static func applyMagnitude(_ magnitude: [Float], axis: NormAxis, to v: inout [Double], rows: Int, columns: Int) {
        switch axis {
        case .output:
            for r in 0..<rows {
                var sum = 0.0
                for c in 0..<columns { sum += v[r * columns + c] * v[r * columns + c] }
                let factor = Double(magnitude[r]) / sum.squareRoot()
                for c in 0..<columns { v[r * columns + c] *= factor }
            }
        case .input:
            var sums = [Double](repeating: 0, count: columns)
            for r in 0..<rows { for c in 0..<columns { sums[c] += v[r * columns + c] * v[r * columns + c] } }
            let factors = (0..<columns).map { Double(magnitude[$0]) / sums[$0].squareRoot() }
            for r in 0..<rows { for c in 0..<columns { v[r * columns + c] *= factors[c] } }
        }
    }
}

extension Checkpoint {
    /// This checkpoint with `adapters` merged in (validated first). Provenance is left to the caller.
    public func merged(with adapters: [WeightedAdapter], baseFingerprint: String, ignoreFingerprint: Bool = false) throws(MergeError) -> Checkpoint {
        try AdapterMerge.validate(adapters, baseFingerprint: baseFingerprint,
                                  shapes: layers.map { ($0.name, $0.outputSize, $0.inputSize) }, ignoreFingerprint: ignoreFingerprint)
        var result = self
        for index in result.layers.indices { result.layers[index] = try AdapterMerge.merge(layers[index], with: adapters) }
        return result
    }
}
