import AdapterCore

/// One layer of an adapter-vs-adapter diff: what the layers do (ΔW = scaling · B · A), not their
/// factors, which are not unique (B · A = (BQ)(Q⁻¹A) for any invertible Q).
public struct AdapterLayerDifference: Sendable, Codable, Equatable {
    /// The layer's name.
    public var name: String
    /// Whether each adapter adapts the layer.
    public var inA: Bool, inB: Bool
    /// The effective updates compared (nil unless both adapt the layer with equal shapes).
    public var update: WeightComparison?
    /// max |m_B − m_A| for DoRA magnitudes (nil unless both have magnitudes of equal length).
    public var magnitudeMaxAbsolute: Double?
    /// Whether A, B and scaling are bit-identical.
    public var factorsIdentical: Bool
    /// Whether ‖ΔW_B − ΔW_A‖_F ≤ ``AdapterDiff/productMatchTolerance`` · ‖ΔW_A‖_F.
    public var productsMatch: Bool
    /// Whether the layer is the same within the tolerance (updates elementwise, magnitudes too).
    public var isSame: Bool

    /// Factors that differ while the products agree: the same adapter, re-factored.
    public var isRefactored: Bool { !factorsIdentical && productsMatch }
}

/// An adapter-vs-adapter diff.
public struct AdapterDifference: Sendable, Codable, Equatable {
    /// The files.
    public var pathA: String, pathB: String
    /// Methods (`lora`/`dora`) and DoRA norm axes.
    public var methodA: String, methodB: String
    /// DoRA norm axes (nil for LoRA).
    public var normAxisA: String?, normAxisB: String?
    /// Whether both adapters name the same base fingerprint.
    public var sameBase: Bool
    /// The tolerance used.
    public var tolerance: DiffTolerance
    /// Every layer either adapter adapts.
    public var layers: [AdapterLayerDifference]

    /// Whether the adapters change the base the same way within the tolerance.
    public var isSame: Bool { methodA == methodB && normAxisA == normAxisB && sameBase && layers.allSatisfy(\.isSame) }

    /// The one-line summary printed after the table.
    public var summaryLine: String {
        var parts: [String] = []
        if methodA != methodB || normAxisA != normAxisB { parts.append("methods differ (\(methodA)\(normAxisA.map { "/\($0)" } ?? "") vs \(methodB)\(normAxisB.map { "/\($0)" } ?? ""))") }
        if !sameBase { parts.append("trained on different bases") }
        let refactored = layers.filter(\.isRefactored).map(\.name)
        if !refactored.isEmpty { parts.append("factors differ but the products B·A match in \(refactored.joined(separator: ", "))") }
        let differing = layers.filter { !$0.isSame }.count
        let verdict = isSame ? "same effect within atol \(tolerance.atol), rtol \(tolerance.rtol)" : "\(differing) of \(layers.count) layers differ"
        return "\(pathA) and \(pathB): \(verdict)" + (parts.isEmpty ? "" : "; " + parts.joined(separator: "; "))
    }
}

/// Comparing two adapters by their effective updates.
public enum AdapterDiff {
    /// Relative Frobenius agreement at which two products count as matching: float32 factors
    /// re-multiplied in another factorisation agree to a few ε₃₂, far inside 1e-5.
    public static let productMatchTolerance = 1e-5

    /// ΔW = scaling · B · A in float64, row-major `[out, in]`.
    public static func effectiveUpdate(_ layer: AdapterLayer) -> [Double] {
        let out = layer.b.rows, inputs = layer.a.columns, rank = layer.rank
        var result = [Double](repeating: 0, count: out * inputs)
        if rank == 0 { return result }
        let a = layer.a.values.map(Double.init), b = layer.b.values.map(Double.init)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                result.withUnsafeMutableBufferPointer { pc in
                    BLAS.gemm(.none, .none, m: out, n: inputs, k: rank, alpha: layer.scaling, a: pb.baseAddress, lda: rank,
                              b: pa.baseAddress, ldb: inputs, beta: 0, c: pc.baseAddress, ldc: inputs)
                }
            }
        }
        return result
    }

    /// Compares two adapters (labels name them in the output). ΔM and ΔD are taken along the first
    /// adapter's DoRA norm axis, or `normAxis` for LoRA; `figure` collects what a diff figure draws.
    public static func compare(_ a: Adapter, _ b: Adapter, labels: (String, String), tolerance: DiffTolerance = DiffTolerance(),
                               normAxis: NormAxis = .output, computeRank: Bool = true, algorithm: SVDAlgorithm = .randomized,
                               figure: DiffFigureRecorder? = nil) throws(LinearAlgebraError) -> AdapterDifference {
        var layers: [AdapterLayerDifference] = []
        for name in a.targetLayers + b.targetLayers.filter({ !a.targetLayers.contains($0) }) {
            let la = a.layer(named: name), lb = b.layer(named: name)
            var entry = AdapterLayerDifference(name: name, inA: la != nil, inB: lb != nil, update: nil, magnitudeMaxAbsolute: nil,
                                               factorsIdentical: false, productsMatch: false, isSame: false)
            if let la, let lb, la.b.rows == lb.b.rows, la.a.columns == lb.a.columns {
                let detailed = try WeightComparison.compareInDetail(effectiveUpdate(la), effectiveUpdate(lb), rows: la.b.rows, columns: la.a.columns,
                                                                    normAxis: a.normAxis ?? normAxis, tolerance: tolerance, computeRank: computeRank, algorithm: algorithm,
                                                                    what: "the update difference of layer \"\(name)\"")
                let update = detailed.comparison
                entry.update = update
                figure?.record(name, rows: la.b.rows, columns: la.a.columns, detailed, rankRequested: computeRank, source: .adapterLayers)
                entry.factorsIdentical = la.a == lb.a && la.b == lb.b && la.scaling == lb.scaling
                let reference = update.relative.isFinite ? update.relative : (update.frobenius == 0 ? 0 : .infinity)
                entry.productsMatch = reference <= productMatchTolerance
                var magnitudesSame = la.magnitude == nil && lb.magnitude == nil
                if let ma = la.magnitude, let mb = lb.magnitude, ma.count == mb.count {
                    entry.magnitudeMaxAbsolute = zip(ma, mb).map { abs(Double($1) - Double($0)) }.max() ?? 0
                    magnitudesSame = BiasComparison.compare(ma, mb, tolerance: tolerance).withinTolerance
                }
                entry.isSame = update.withinTolerance && magnitudesSame
            }
            layers.append(entry)
        }
        return AdapterDifference(pathA: labels.0, pathB: labels.1, methodA: a.method.rawValue, methodB: b.method.rawValue,
                                 normAxisA: a.normAxis?.rawValue, normAxisB: b.normAxis?.rawValue,
                                 sameBase: a.baseFingerprint == b.baseFingerprint, tolerance: tolerance, layers: layers)
    }
}
