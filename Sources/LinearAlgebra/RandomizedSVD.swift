import CBLAS

/// Which singular value decomposition a truncated factorisation or a numerical rank runs.
public enum SVDAlgorithm: String, Sendable, Codable, CaseIterable {
    /// The randomized range finder (``LAPACK/randomizedSVD(rows:columns:values:rank:vectors:powerIterations:what:)``),
    /// falling back to the exact SVD where sampling would not pay off.
    case randomized
    /// LAPACK's full divide-and-conquer SVD of the whole matrix (``LAPACK/svd(rows:columns:values:vectors:what:)``).
    case exact
}

/// The fixed settings of ``LAPACK/randomizedSVD(rows:columns:values:rank:vectors:powerIterations:what:)``
/// (Halko, Martinsson & Tropp 2011, Algorithms 4.3/4.4 with an energy-based stop).
public enum RandomizedSVD {
    /// Extra sampled directions beyond the rank p: HMT §4.2 recommend 5–10; 10 makes the chance that
    /// the sample misses a leading direction negligible (their bound falls like 10^-p).
    public static let oversampling = 10
    /// Sampling pays off only while the sample is a small part of the matrix: past k + p = min(m, n) / 4
    /// the passes over A (2·m·n·(k + p) flops each, at least four of them) come within a small factor
    /// of LAPACK's full SVD, so the exact SVD runs (a conservative cut, not tuned by measurement).
    public static let worthwhileFraction = 4
    /// Power iterations stop once one more raises the captured energy Σ_{i≤k} σ̃ᵢ² by at most this
    /// share of ‖A‖_F². The error left in the captured share is then a small multiple of it (tests:
    /// within 1e-4 even on a flat Gaussian spectrum, the randomized method's worst case).
    public static let energyTolerance = 1e-5
    /// An upper bound on power iterations (each is two passes over A). Matrices with a gap after
    /// rank k stop after 1–3; only flat spectra come near it (numpy experiments: a Gaussian 1024²
    /// matrix at k = 64 takes about 30, leaving under 1e-4 of the captured share).
    public static let maximumPowerIterations = 40
    /// LAPACK dlarnv's seed (four integers in 0…4095, the last odd): fixed, so that the same matrix
    /// always gives the same factors, byte for byte.
    static let seed: [Int32] = [1, 3, 5, 7]

    /// Whether sampling a rank-`rank` range of a `rows × columns` matrix is cheaper than the exact SVD.
    public static func pays(rank: Int, rows: Int, columns: Int) -> Bool {
        rank >= 1 && (rank + oversampling) * worthwhileFraction <= min(rows, columns)
    }
}

extension LAPACK {
    /// The `rank` leading singular triplets of the row-major `rows × columns` matrix `values` by a
    /// randomized range finder: Y = A·Ω for a seeded Gaussian Ω with k + p columns, power iterations
    /// Q ← qr(A · qr(Aᵀ Q)) (re-orthonormalised by dgeqrf/dorgqr each step) until the captured energy
    /// settles (``RandomizedSVD/energyTolerance``), then the exact SVD of the small B = Qᵀ A, so
    /// U = Q·U_B. Everything is float64. The result has exactly min(rank, min(m, n)) triplets, or,
    /// when sampling would not pay off (``RandomizedSVD/pays(rank:rows:columns:)``), is the full
    /// exact ``svd(rows:columns:values:vectors:what:)`` with all min(m, n).
    ///
    /// Each σ̃ᵢ ≤ σᵢ (the values of a projection of A), and U·diag(σ̃)·Vᵀ is the orthogonal projection
    /// of A onto span(U), so ‖A − U S̃ Vᵀ‖_F² = ‖A‖_F² − Σ σ̃ᵢ² holds exactly in exact arithmetic.
    /// `powerIterations` caps the power steps (a caller that only compares values with a threshold
    /// may take fewer than ``RandomizedSVD/maximumPowerIterations``).
    public static func randomizedSVD(rows: Int, columns: Int, values: [Double], rank: Int, vectors: Bool = true,
                                     powerIterations: Int = RandomizedSVD.maximumPowerIterations,
                                     what: String = "matrix") throws(LinearAlgebraError) -> SingularValueDecomposition {
        precondition(values.count == rows * columns, "svd of \(rows)×\(columns) needs \(rows * columns) values")
        guard RandomizedSVD.pays(rank: rank, rows: rows, columns: columns) else {
            return try svd(rows: rows, columns: columns, values: values, vectors: vectors, what: what)
        }
        guard rows < Int(Int32.max) / max(1, columns) else { throw .tooLarge(rows: rows, columns: columns) }
        let total = values.reduce(0) { $0 + $1 * $1 }
        // A non-finite element makes the sum non-finite; only then is every element looked at.
        guard total.isFinite || values.allSatisfy(\.isFinite) else { throw .nonFinite(what: what) }
        let (m, n, k) = (rows, columns, rank)
        let l = k + RandomizedSVD.oversampling
        // OpenBLAS runs these skinny products about twice as fast with the long side as the output's
        // rows, so each pass over A writes a tall m × l or n × l result; the l-row transposes between
        // them cost nothing next to a pass. x is the test matrix, row-major l × n: first the Gaussian
        // Ω, then Zᵀ with Z = qr(Aᵀ Q), the power step.
        var x = gaussian(count: l * n)
        var previous = -Double.infinity, iteration = 0
        var q: [Double], small: SingularValueDecomposition
        while true {
            // Q = qr(A · xᵀ): the row-major m × l sample, transposed to the column-major LAPACK wants.
            var y = transpose(multiply(.none, values, .transposed, x, m: m, n: l, k: n, lda: n, ldb: n), rows: m, columns: l)
            try orthonormalize(&y, rows: m, columns: l, what: what)
            q = transpose(y, rows: l, columns: m)
            // B = Qᵀ A (row-major l × n) as the transpose of Aᵀ Q; also Bᵀ column-major for the next QR.
            x = transpose(multiply(.transposed, values, .none, q, m: n, n: l, k: m, lda: n, ldb: l), rows: n, columns: l)
            small = try svd(rows: l, columns: n, values: x, vectors: true, what: what)
            let energy = small.singularValues.prefix(k).reduce(0) { $0 + $1 * $1 }
            if energy - previous <= RandomizedSVD.energyTolerance * total || iteration >= powerIterations { break }
            previous = energy
            iteration += 1
            try orthonormalize(&x, rows: n, columns: l, what: what)
        }
        let sigma = Array(small.singularValues.prefix(k))
        guard vectors else { return SingularValueDecomposition(rows: m, columns: n, u: [], singularValues: sigma, vt: []) }
        let u = multiply(.none, q, .none, small.u, m: m, n: k, k: l, lda: l, ldb: l)
        return SingularValueDecomposition(rows: m, columns: n, u: u, singularValues: sigma, vt: Array(small.vt.prefix(k * n)))
    }

    /// op(A) · op(B) as a new row-major `m × n` array (`lda`, `ldb`: the stored row strides).
    private static func multiply(_ transA: BLAS.Transpose, _ a: [Double], _ transB: BLAS.Transpose, _ b: [Double],
                                 m: Int, n: Int, k: Int, lda: Int, ldb: Int) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    BLAS.gemm(transA, transB, m: m, n: n, k: k, a: pa.baseAddress, lda: lda, b: pb.baseAddress, ldb: ldb, c: pc.baseAddress, ldc: n)
                }
            }
        }
        return c
    }

    /// The transpose of the row-major `rows × columns` matrix `values` (row-major `columns × rows`).
    private static func transpose(_ values: [Double], rows: Int, columns: Int) -> [Double] {
        var result = [Double](repeating: 0, count: values.count)
        for r in 0..<rows { for c in 0..<columns { result[c * rows + r] = values[r * columns + c] } }
        return result
    }

    /// `count` standard normal values from LAPACK's dlarnv with the fixed ``RandomizedSVD/seed``.
    static func gaussian(count: Int) -> [Double] {
        var values = [Double](repeating: 0, count: count)
        var seed = RandomizedSVD.seed
        var distribution: Int32 = 3   // dlarnv: 3 = normal (0, 1)
        // dlarnv takes a 32-bit count; fill in chunks so that any size works.
        let chunk = 1 << 24
        values.withUnsafeMutableBufferPointer { buffer in
            var start = 0
            while start < count {
                var length = Int32(min(chunk, count - start))
                dlarnv_(&distribution, &seed, &length, buffer.baseAddress.map { $0 + start })
                start += chunk
            }
        }
        return values
    }

    /// Replaces the column-major `rows × columns` matrix in `buffer` (rows ≥ columns) by the
    /// orthonormal Q of its Householder QR (dgeqrf, then dorgqr).
    static func orthonormalize(_ buffer: inout [Double], rows: Int, columns: Int, what: String) throws(LinearAlgebraError) {
        precondition(rows >= columns && buffer.count == rows * columns, "orthonormalize needs a tall \(rows)×\(columns) matrix")
        var m = Int32(rows), n = Int32(columns), lda = Int32(rows), info: Int32 = 0
        var tau = [Double](repeating: 0, count: columns)
        var lwork: Int32 = -1, query = 0.0
        dgeqrf_(&m, &n, &buffer, &lda, &tau, &query, &lwork, &info)
        var work = [Double](repeating: 0, count: max(1, Int(query.rounded(.up))))
        lwork = Int32(work.count)
        dgeqrf_(&m, &n, &buffer, &lda, &tau, &work, &lwork, &info)
        guard info == 0 else { throw .lapackFailed(routine: "dgeqrf", info: Int(info), what: what) }
        lwork = -1
        dorgqr_(&m, &n, &n, &buffer, &lda, &tau, &query, &lwork, &info)
        if Int(query.rounded(.up)) > work.count { work = [Double](repeating: 0, count: Int(query.rounded(.up))) }
        lwork = Int32(work.count)
        dorgqr_(&m, &n, &n, &buffer, &lda, &tau, &work, &lwork, &info)
        guard info == 0 else { throw .lapackFailed(routine: "dorgqr", info: Int(info), what: what) }
    }
}
