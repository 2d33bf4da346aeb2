import AdapterCore

/// The balanced rank-r factors of a truncated SVD of ΔW (spec/math.md §Extraction):
/// B = U_r √S_r (`rows × r`) and A = √S_r V_rᵀ (`r × columns`), row-major float64, with the share of
/// ‖ΔW‖_F² they capture. Shared by v1 (``AdapterExtraction``) and v2 (``TensorExtraction``) extraction.
public struct TruncatedFactors: Sendable {
    /// The rank r (the requested rank capped at min(rows, columns)).
    public var rank: Int
    /// B, `rows × rank`.
    public var b: [Double]
    /// A, `rank × columns`.
    public var a: [Double]
    /// The share of ‖ΔW‖_F² the factors capture.
    public var capturedShare: Double
    /// Wall-clock seconds ``factor(_:rows:columns:deltaSquares:rank:algorithm:what:)`` took.
    public var seconds: Double

    /// Factors `delta` (row-major `rows × columns`, float64, ‖delta‖_F² = `deltaSquares`) at `rank`.
    ///
    /// `.exact` is LAPACK's full SVD, with captured = Σ_{j≤r} σⱼ² / Σ σⱼ² as always. `.randomized`
    /// (the default) runs ``LAPACK/randomizedSVD(rows:columns:values:rank:vectors:powerIterations:what:)`` and reports
    /// the true share of what is written, Σ_{j≤r} σ̃ⱼ² / ‖ΔW‖_F² = 1 − ‖ΔW − B·A‖_F² / ‖ΔW‖_F², with
    /// ‖ΔW‖_F² from the data, not from any sampled estimate (the CLI tests check it against numpy on
    /// the stored float32 factors).
    public static func factor(_ delta: [Double], rows: Int, columns: Int, deltaSquares: Double, rank: Int,
                              algorithm: SVDAlgorithm, what: String) throws(LinearAlgebraError) -> TruncatedFactors {
        let start = ContinuousClock.now
        let svd = algorithm == .exact
            ? try LAPACK.svd(rows: rows, columns: columns, values: delta, what: what)
            : try LAPACK.randomizedSVD(rows: rows, columns: columns, values: delta, rank: rank, what: what)
        let r = min(rank, svd.count)
        var a = [Double](repeating: 0, count: r * columns), b = [Double](repeating: 0, count: rows * r)
        for j in 0..<r {
            let root = svd.singularValues[j].squareRoot()
            for i in 0..<rows { b[i * r + j] = svd.u[i * svd.count + j] * root }
            for c in 0..<columns { a[j * columns + c] = svd.vt[j * columns + c] * root }
        }
        // The exact SVD knows the whole spectrum: Σ σ² over all of it, as always. The randomized one
        // knows ‖ΔW‖_F² from the data, and U·S̃·Vᵀ is the orthogonal projection of ΔW onto span(U), so
        // Σ_{j≤r} σ̃ⱼ² is exactly the energy the factors hold: 1 − ‖ΔW − B·A‖²/‖ΔW‖² (before rounding to float32).
        let captured: Double
        if svd.count == min(rows, columns) {
            let total = svd.singularValues.reduce(0) { $0 + $1 * $1 }
            captured = total == 0 ? 1 : svd.singularValues.prefix(r).reduce(0) { $0 + $1 * $1 } / total
        } else {
            captured = deltaSquares == 0 ? 1 : min(1, svd.singularValues.prefix(r).reduce(0) { $0 + $1 * $1 } / deltaSquares)
        }
        let elapsed = ContinuousClock.now - start
        return TruncatedFactors(rank: r, b: b, a: a, capturedShare: captured,
                                seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
}
