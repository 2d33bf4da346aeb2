import AdapterCore

/// The numerical rank of a difference of float32 weights (spec/math.md §Numerical rank).
public enum NumericalRank {
    /// Float32's unit roundoff ε₃₂ = 2⁻²³ ≈ 1.19e-7.
    static let float32Epsilon = Double(Float.ulpOfOne)

    /// The tolerance above which a singular value of ΔW (`rows × columns`) counts.
    ///
    /// It is the larger of LAPACK's own accuracy, σ₁ · max(m, n) · ε₆₄, and the size of the
    /// full-rank noise that rounding a result to float32 leaves: each element carries an error of at
    /// most ε₃₂ · max|W| / 2, and a random m × n matrix with such entries has spectral norm below
    /// ε₃₂ · max|W| · (√m + √n) / 2; the tolerance doubles that bound, so rounding noise never adds
    /// to the rank while any genuine direction above float32 resolution does.
    public static func tolerance(largestSingularValue: Double, rows: Int, columns: Int, largestWeight: Double) -> Double {
        let lapack = largestSingularValue * Double(max(rows, columns)) * Double.ulpOfOne
        let rounding = float32Epsilon * largestWeight * (Double(rows).squareRoot() + Double(columns).squareRoot())
        return max(lapack, rounding)
    }

    /// The singular values of `delta` (row-major `rows × columns`, float64), largest first.
    public static func singularValues(of delta: [Double], rows: Int, columns: Int, what: String) throws(LinearAlgebraError) -> [Double] {
        try LAPACK.svd(rows: rows, columns: columns, values: delta, vectors: false, what: what).singularValues
    }

    /// The first rank probed by the randomized path: ``WeightComparisonDetail/keptSingularValues``, so
    /// a diff figure always gets its 64 leading values, and above the rank of any LoRA fine-tune in practice.
    public static let initialProbe = WeightComparisonDetail.keptSingularValues

    /// Power steps per probe at most: the count only compares values with the tolerance, and a ΔW
    /// with a gap after its rank (what the probe is for) settles in 1–2 (bench-svd: 2 on a rank-16 merge).
    public static let probePowerIterations = 3

    /// The probe doubles only while k + p stays below min(m, n) / this: a ΔW with more values above
    /// the tolerance than that is most likely full-rank (a full fine-tune's noise), where every probe
    /// only adds to the exact SVD's cost (bench-svd, 4096², rank 16 + noise: probes up to k = 512
    /// took 4× the exact SVD; up to k = 128, a small fraction of it).
    public static let doublingFraction = 16

    /// The leading singular values of `delta` needed to count its numerical rank, and the tolerance
    /// (``tolerance(largestSingularValue:rows:columns:largestWeight:)``) to count them against.
    ///
    /// `.exact` returns all min(m, n) values from LAPACK. `.randomized` computes the top k by
    /// ``LAPACK/randomizedSVD(rows:columns:values:rank:vectors:powerIterations:what:)``, k = ``initialProbe``
    /// (where sampling pays off, ``RandomizedSVD/pays(rank:rows:columns:)``) doubling while the smallest
    /// is still above the tolerance and k + p ≤ min(m, n) / `doublingFraction`; otherwise the exact SVD
    /// decides. Every returned value above the tolerance is then followed by one at or below it, or the
    /// list is the full spectrum.
    public static func spectrum(of delta: [Double], rows: Int, columns: Int, largestWeight: Double, algorithm: SVDAlgorithm,
                                doublingFraction: Int = doublingFraction,
                                what: String) throws(LinearAlgebraError) -> (values: [Double], tolerance: Double) {
        var probe = initialProbe
        while true {
            let sampled = algorithm == .randomized && RandomizedSVD.pays(rank: probe, rows: rows, columns: columns)
                && (probe == initialProbe || (probe + RandomizedSVD.oversampling) * doublingFraction <= min(rows, columns))
            let values = sampled
                ? try LAPACK.randomizedSVD(rows: rows, columns: columns, values: delta, rank: probe, vectors: false,
                                           powerIterations: probePowerIterations, what: what).singularValues
                : try singularValues(of: delta, rows: rows, columns: columns, what: what)
            let tolerance = tolerance(largestSingularValue: values.first ?? 0, rows: rows, columns: columns, largestWeight: largestWeight)
            if values.count == min(rows, columns) || (values.last ?? 0) <= tolerance { return (values, tolerance) }
            probe *= 2
        }
    }
}
