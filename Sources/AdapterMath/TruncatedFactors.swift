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
    /// (the default) runs ``LAPACK/randomizedSVD(rows:columns:values:rank:vectors:what:)`` and reports
    /// the true share of what is written: 1 − ‖ΔW − B·A‖_F² / ‖ΔW‖_F², with B and A as rounded to
    /// float32 and ‖ΔW‖_F² from the data, not from any sampled estimate.
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
        let captured: Double
        if svd.count == min(rows, columns) {
            // The full spectrum is known (the exact SVD, also where sampling did not pay off).
            let total = svd.singularValues.reduce(0) { $0 + $1 * $1 }
            captured = total == 0 ? 1 : svd.singularValues.prefix(r).reduce(0) { $0 + $1 * $1 } / total
        } else {
            captured = capturedShare(of: delta, rows: rows, columns: columns, deltaSquares: deltaSquares, b: b, a: a, rank: r)
        }
        let elapsed = ContinuousClock.now - start
        return TruncatedFactors(rank: r, b: b, a: a, capturedShare: captured,
                                seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }

    /// 1 − ‖ΔW − B·A‖_F² / ‖ΔW‖_F² for B and A rounded to float32 (as written), in float64:
    /// ‖ΔW − BA‖² = ‖ΔW‖² − 2⟨BᵀΔW, A⟩ + ⟨BᵀB, AAᵀ⟩, three small products instead of forming B·A.
    static func capturedShare(of delta: [Double], rows: Int, columns: Int, deltaSquares: Double, b: [Double], a: [Double], rank r: Int) -> Double {
        guard deltaSquares > 0 else { return 1 }
        let b32 = b.map { Double(Float($0)) }, a32 = a.map { Double(Float($0)) }
        var btDelta = [Double](repeating: 0, count: r * columns), btb = [Double](repeating: 0, count: r * r), aat = btb
        b32.withUnsafeBufferPointer { pb in
            delta.withUnsafeBufferPointer { pd in
                btDelta.withUnsafeMutableBufferPointer { pc in
                    BLAS.gemm(.transposed, .none, m: r, n: columns, k: rows, a: pb.baseAddress, lda: r, b: pd.baseAddress, ldb: columns, c: pc.baseAddress, ldc: columns)
                }
            }
            btb.withUnsafeMutableBufferPointer { pc in
                BLAS.gemm(.transposed, .none, m: r, n: r, k: rows, a: pb.baseAddress, lda: r, b: pb.baseAddress, ldb: r, c: pc.baseAddress, ldc: r)
            }
        }
        a32.withUnsafeBufferPointer { pa in
            aat.withUnsafeMutableBufferPointer { pc in
                BLAS.gemm(.none, .transposed, m: r, n: r, k: columns, a: pa.baseAddress, lda: columns, b: pa.baseAddress, ldb: columns, c: pc.baseAddress, ldc: r)
            }
        }
        let cross = zip(btDelta, a32).reduce(0) { $0 + $1.0 * $1.1 }
        let product = zip(btb, aat).reduce(0) { $0 + $1.0 * $1.1 }
        let residual = max(0, deltaSquares - 2 * cross + product)
        return 1 - residual / deltaSquares
    }
}
