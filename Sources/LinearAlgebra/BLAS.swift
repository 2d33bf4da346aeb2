import CBLAS

/// Thin, typed wrappers over OpenBLAS: the only code in the library that calls CBLAS or LAPACK.
public enum BLAS {
    /// Whether an operand is used as stored or transposed.
    public enum Transpose: Sendable {
        case none, transposed
        var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
    }

    /// Limits OpenBLAS to `count` threads (small matrices run faster on one).
    public static func setThreadCount(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }

    /// C ← alpha · op(A) · op(B) + beta · C on row-major float32 buffers.
    ///
    /// `m × k` is op(A)'s shape, `k × n` op(B)'s; `lda`, `ldb`, `ldc` are the stored row strides.
    /// Pointers may be nil only where their matrix is empty (`baseAddress` of an empty buffer).
    public static func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>?, lda: Int, b: UnsafePointer<Float>?, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>?, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The float64 counterpart of ``gemm(_:_:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)-(_,_,_,_,_,Float,_,_,_,_,_,_,_)``.
    public static func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Double = 1,
        a: UnsafePointer<Double>?, lda: Int, b: UnsafePointer<Double>?, ldb: Int,
        beta: Double = 0, c: UnsafeMutablePointer<Double>?, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_dgemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The product op(A) · op(B) of two matrices, scaled by `alpha`.
    public static func multiply(_ a: Matrix, _ transA: Transpose = .none, _ b: Matrix, _ transB: Transpose = .none, alpha: Float = 1) -> Matrix {
        let (m, k) = transA == .none ? (a.rows, a.columns) : (a.columns, a.rows)
        let (kb, n) = transB == .none ? (b.rows, b.columns) : (b.columns, b.rows)
        precondition(k == kb, "inner dimensions differ: \(k) vs \(kb)")
        var c = Matrix(rows: m, columns: n)
        if k == 0 || m == 0 || n == 0 { return c }
        a.values.withUnsafeBufferPointer { pa in
            b.values.withUnsafeBufferPointer { pb in
                c.values.withUnsafeMutableBufferPointer { pc in
                    gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress, lda: a.columns,
                         b: pb.baseAddress, ldb: b.columns, c: pc.baseAddress, ldc: n)
                }
            }
        }
        return c
    }
}
