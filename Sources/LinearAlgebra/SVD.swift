import CBLAS

/// A thin singular value decomposition A = U · diag(S) · Vᵀ of a row-major float64 matrix.
public struct SingularValueDecomposition: Sendable {
    /// Rows of A.
    public let rows: Int
    /// Columns of A.
    public let columns: Int
    /// U, `rows × k` row-major, with k = min(rows, columns) (empty when only values were asked for).
    public let u: [Double]
    /// The singular values, largest first (k of them).
    public let singularValues: [Double]
    /// Vᵀ, `k × columns` row-major (empty when only values were asked for).
    public let vt: [Double]

    /// k = min(rows, columns).
    public var count: Int { singularValues.count }
}

/// Why LAPACK could not decompose a matrix.
public enum LinearAlgebraError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The matrix held NaN or infinity.
    case nonFinite(what: String)
    /// LAPACK's divide-and-conquer SVD did not converge (`info` > 0) or rejected an argument (< 0).
    case lapackFailed(routine: String, info: Int, what: String)
    /// The matrix is too large for LAPACK's 32-bit integer interface.
    case tooLarge(rows: Int, columns: Int)

    /// The single error line shown to users.
    public var description: String {
        switch self {
        case .nonFinite(let what):
            return "\(what): contains NaN or infinity; a singular value decomposition needs finite values"
        case .lapackFailed(let routine, let info, let what):
            return "\(what): LAPACK \(routine) failed (info \(info)); \(info > 0 ? "the SVD did not converge" : "argument \(-info) was rejected")"
        case .tooLarge(let rows, let columns):
            return "a \(rows)×\(columns) matrix exceeds LAPACK's 32-bit index range"
        }
    }
}

/// Wrappers over OpenBLAS's LAPACK (column-major Fortran ABI) for row-major data.
public enum LAPACK {
    /// The SVD of the row-major `rows × columns` matrix `values` (dgesdd, divide and conquer).
    ///
    /// A row-major matrix is the column-major storage of Aᵀ, so LAPACK is run on Aᵀ = U′ S V′ᵀ:
    /// its V′ᵀ buffer (column-major k × rows) is exactly A's U row-major, and its U′ buffer
    /// (column-major columns × k) is exactly A's Vᵀ row-major. No transposition copies are made.
    /// `what` names the matrix in errors. With `vectors: false` only the singular values are computed.
    public static func svd(rows: Int, columns: Int, values: [Double], vectors: Bool = true, what: String = "matrix") throws(LinearAlgebraError) -> SingularValueDecomposition {
        precondition(values.count == rows * columns, "svd of \(rows)×\(columns) needs \(rows * columns) values")
        let k = min(rows, columns)
        if k == 0 { return SingularValueDecomposition(rows: rows, columns: columns, u: [], singularValues: [], vt: []) }
        guard rows < Int(Int32.max) / max(1, columns), values.count < Int(Int32.max) / 8 else { throw .tooLarge(rows: rows, columns: columns) }
        guard values.allSatisfy(\.isFinite) else { throw .nonFinite(what: what) }

        // LAPACK sees Aᵀ: m = columns, n = rows (column-major, leading dimension = columns).
        var jobz = CChar(UInt8(ascii: vectors ? "S" : "N"))
        var m = Int32(columns), n = Int32(rows), lda = Int32(columns)
        var a = values
        var s = [Double](repeating: 0, count: k)
        var uPrime = [Double](repeating: 0, count: vectors ? columns * k : 1)   // columns × k
        var vtPrime = [Double](repeating: 0, count: vectors ? k * rows : 1)     // k × rows
        var ldu = Int32(columns), ldvt = Int32(vectors ? k : 1)
        var iwork = [Int32](repeating: 0, count: 8 * k)
        var info: Int32 = 0
        var lwork: Int32 = -1
        var query = 0.0
        dgesdd_(&jobz, &m, &n, &a, &lda, &s, &uPrime, &ldu, &vtPrime, &ldvt, &query, &lwork, &iwork, &info)
        guard info == 0 else { throw .lapackFailed(routine: "dgesdd", info: Int(info), what: what) }
        lwork = Int32(min(Double(Int32.max), query.rounded(.up)))
        var work = [Double](repeating: 0, count: Int(max(1, lwork)))
        dgesdd_(&jobz, &m, &n, &a, &lda, &s, &uPrime, &ldu, &vtPrime, &ldvt, &work, &lwork, &iwork, &info)
        guard info == 0 else { throw .lapackFailed(routine: "dgesdd", info: Int(info), what: what) }
        return SingularValueDecomposition(rows: rows, columns: columns, u: vectors ? vtPrime : [], singularValues: s, vt: vectors ? uPrime : [])
    }
}
