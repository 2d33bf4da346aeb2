import AdapterCore

/// Elementwise tolerance in the manner of numpy's `allclose`: |b − a| ≤ atol + rtol · |a|.
public struct DiffTolerance: Sendable, Codable, Equatable {
    /// Absolute tolerance.
    public var atol: Double
    /// Relative tolerance (relative to the first file's value).
    public var rtol: Double

    /// Exact comparison by default, as diff(1) does.
    public init(atol: Double = 0, rtol: Double = 0) {
        self.atol = atol
        self.rtol = rtol
    }
}

/// How two same-shaped weight matrices differ (spec/math.md §Diff metrics). ΔW = B − A.
public struct WeightComparison: Sendable, Codable, Equatable {
    /// ‖ΔW‖_F.
    public var frobenius: Double
    /// ‖ΔW‖_F / ‖A‖_F (0 when both are zero, +∞ when only A is).
    public var relative: Double
    /// max |ΔW|.
    public var maxAbsolute: Double
    /// ⟨A, B⟩ / (‖A‖_F ‖B‖_F); 1 when both are zero.
    public var cosine: Double
    /// Number of singular values of ΔW above ``rankTolerance`` (nil when not computed).
    public var numericalRank: Int?
    /// The tolerance used for ``numericalRank``.
    public var rankTolerance: Double?
    /// The largest singular values of ΔW (up to ``WeightComparison/reportedSingularValues``).
    public var leadingSingularValues: [Double]?
    /// DoRA's ΔM: mean over slices (rows or columns, by ``normAxis``) of | ‖b‖ − ‖a‖ |.
    public var magnitudeChange: Double
    /// DoRA's ΔD: mean over slices of 1 − cos(a, b).
    public var directionChange: Double
    /// The slices ΔM and ΔD are taken over.
    public var normAxis: NormAxis
    /// Whether every element is within the tolerance.
    public var withinTolerance: Bool

    /// How many leading singular values are reported.
    public static let reportedSingularValues = 8

    /// Compares `a` and `b`, both row-major `rows × columns`, accumulating in float64.
    /// `computeRank` runs an SVD of ΔW (the costly part for large layers): randomized by default,
    /// LAPACK's full one with `algorithm: .exact` (``NumericalRank/spectrum(of:rows:columns:largestWeight:algorithm:what:)``).
    public static func compare<T: BinaryFloatingPoint>(
        _ a: [T], _ b: [T], rows: Int, columns: Int, normAxis: NormAxis = .output,
        tolerance: DiffTolerance = DiffTolerance(), computeRank: Bool = true, algorithm: SVDAlgorithm = .randomized, what: String = "ΔW"
    ) throws(LinearAlgebraError) -> WeightComparison {
        try compareInDetail(a, b, rows: rows, columns: columns, normAxis: normAxis, tolerance: tolerance,
                            computeRank: computeRank, algorithm: algorithm, what: what).comparison
    }

    /// ``compare(_:_:rows:columns:normAxis:tolerance:computeRank:algorithm:what:)`` in the same single pass,
    /// also keeping what a figure draws: each slice's Δm and ΔD and the leading singular values.
    public static func compareInDetail<T: BinaryFloatingPoint>(
        _ a: [T], _ b: [T], rows: Int, columns: Int, normAxis: NormAxis = .output,
        tolerance: DiffTolerance = DiffTolerance(), computeRank: Bool = true, algorithm: SVDAlgorithm = .randomized, what: String = "ΔW"
    ) throws(LinearAlgebraError) -> (comparison: WeightComparison, detail: WeightComparisonDetail) {
        precondition(a.count == rows * columns && b.count == a.count, "compare needs two \(rows)×\(columns) matrices")
        var deltaSquares = 0.0, aSquares = 0.0, bSquares = 0.0, dot = 0.0, maxDelta = 0.0, maxWeight = 0.0
        var within = true
        let slices = normAxis == .output ? rows : columns
        var sliceA = [Double](repeating: 0, count: slices), sliceB = sliceA, sliceDot = sliceA
        var delta = computeRank ? [Double](repeating: 0, count: a.count) : []
        for r in 0..<rows {
            for c in 0..<columns {
                let i = r * columns + c
                let x = Double(a[i]), y = Double(b[i]), d = y - x
                deltaSquares += d * d; aSquares += x * x; bSquares += y * y; dot += x * y
                maxDelta = max(maxDelta, abs(d)); maxWeight = max(maxWeight, abs(x), abs(y))
                if !(abs(d) <= tolerance.atol + tolerance.rtol * abs(x)) { within = false }
                let s = normAxis == .output ? r : c
                sliceA[s] += x * x; sliceB[s] += y * y; sliceDot[s] += x * y
                if computeRank { delta[i] = d }
            }
        }
        var detail = WeightComparisonDetail(magnitudeChanges: [], directionChanges: [], singularValues: nil)
        detail.magnitudeChanges.reserveCapacity(slices)
        detail.directionChanges.reserveCapacity(slices)
        for s in 0..<slices {
            let na = sliceA[s].squareRoot(), nb = sliceB[s].squareRoot()
            detail.magnitudeChanges.append(abs(nb - na))
            detail.directionChanges.append(1 - cosine(sliceDot[s], na, nb))
        }
        let normA = aSquares.squareRoot(), normDelta = deltaSquares.squareRoot()
        let magnitude = detail.magnitudeChanges.reduce(0, +), direction = detail.directionChanges.reduce(0, +)
        var result = WeightComparison(
            frobenius: normDelta, relative: normDelta == 0 ? 0 : normDelta / normA, maxAbsolute: maxDelta,
            cosine: cosine(dot, normA, bSquares.squareRoot()), numericalRank: nil, rankTolerance: nil, leadingSingularValues: nil,
            magnitudeChange: slices == 0 ? 0 : magnitude / Double(slices), directionChange: slices == 0 ? 0 : direction / Double(slices),
            normAxis: normAxis, withinTolerance: within)
        if computeRank, normDelta.isFinite {
            let (values, tolerance) = try NumericalRank.spectrum(of: delta, rows: rows, columns: columns, largestWeight: maxWeight,
                                                                 algorithm: algorithm, what: what)
            result.rankTolerance = tolerance
            result.numericalRank = values.filter { $0 > tolerance }.count
            result.leadingSingularValues = Array(values.prefix(reportedSingularValues))
            detail.singularValues = Array(values.prefix(WeightComparisonDetail.keptSingularValues))
        }
        return (result, detail)
    }

    /// cos = dot / (‖a‖‖b‖), with 1 for two zero vectors and 0 for one zero vector; clamped to
    /// [−1, 1], which rounding can leave by an ulp (ΔD = 1 − cos must not come out as −1e-16).
    private static func cosine(_ dot: Double, _ na: Double, _ nb: Double) -> Double {
        if na == 0 && nb == 0 { return 1 }
        if na == 0 || nb == 0 { return 0 }
        return min(1, max(-1, dot / (na * nb)))
    }
}

/// What a figure of one weight comparison draws beyond ``WeightComparison``'s summary figures:
/// the DoRA paper's per-vector points and the head of ΔW's spectrum.
public struct WeightComparisonDetail: Sendable, Equatable {
    /// Δm_n = | ‖b_n‖ − ‖a_n‖ | for each slice n along the norm axis (their mean is ΔM).
    public var magnitudeChanges: [Double]
    /// ΔD_n = 1 − cos(a_n, b_n) for each slice n (their mean is ΔD).
    public var directionChanges: [Double]
    /// The largest singular values of ΔW, largest first, at most ``keptSingularValues`` of them
    /// (nil when the SVD was not run).
    public var singularValues: [Double]?

    /// How many singular values a figure keeps: enough to show the cliff after the rank of any
    /// LoRA fine-tune in practice (r ≤ 64) and the decay of a full one, while one line per module
    /// stays a small polyline.
    public static let keptSingularValues = 64
}

/// How two bias vectors differ.
public struct BiasComparison: Sendable, Codable, Equatable {
    /// ‖Δb‖₂.
    public var norm: Double
    /// max |Δb|.
    public var maxAbsolute: Double
    /// Whether every element is within the tolerance.
    public var withinTolerance: Bool

    /// Compares two equally long vectors.
    public static func compare(_ a: [Float], _ b: [Float], tolerance: DiffTolerance) -> BiasComparison {
        var squares = 0.0, largest = 0.0, within = a.count == b.count
        for (x, y) in zip(a, b) {
            let d = Double(y) - Double(x)
            squares += d * d
            largest = max(largest, abs(d))
            if !(abs(d) <= tolerance.atol + tolerance.rtol * abs(Double(x))) { within = false }
        }
        return BiasComparison(norm: squares.squareRoot(), maxAbsolute: largest, withinTolerance: within)
    }
}
