import Foundation
import LinearAlgebra
import AdapterTestSupport
import Testing

/// The randomized truncated SVD against matrices whose spectrum is known by construction
/// (A = U·diag(s)·Vᵀ with orthonormal U, V), and against LAPACK's full SVD.
@Suite struct RandomizedSVDTests {
    static let rows = 300, columns = 200

    /// U·diag(spectrum)·Vᵀ, row-major `rows × columns`, U and V orthonormal (from LAPACK's SVD of
    /// Gaussian matrices), so its singular values are `spectrum` to rounding.
    static func matrix(spectrum: [Double], rows: Int = rows, columns: Int = columns, seed: UInt64) throws -> [Double] {
        var rng = SeededGenerator(seed: seed)
        let k = spectrum.count
        let u = try LAPACK.svd(rows: rows, columns: k, values: (0..<rows * k).map { _ in rng.normal() }).u
        let v = try LAPACK.svd(rows: columns, columns: k, values: (0..<columns * k).map { _ in rng.normal() }).u
        let us = (0..<rows * k).map { u[$0] * spectrum[$0 % k] }
        var a = [Double](repeating: 0, count: rows * columns)
        BLAS.gemm(.none, .transposed, m: rows, n: columns, k: k, a: us, lda: k, b: v, ldb: k, c: &a, ldc: columns)
        return a
    }

    static func share(_ values: ArraySlice<Double>, of total: Double) -> Double { values.reduce(0) { $0 + $1 * $1 } / total }

    /// The known spectra: exact low rank, fast decay, slow decay, and a flat one (the randomized
    /// method's worst case), with the largest difference in captured share each may show.
    static let spectra: [(name: String, values: [Double], rank: Int, shareError: Double, valueError: Double)] = [
        ("rank 8", (0..<8).map { 10 - Double($0) }, 8, 1e-12, 1e-10),
        ("fast 0.7^i", (0..<200).map { pow(0.7, Double($0)) }, 16, 1e-12, 1e-8),
        ("slow 1/sqrt(i)", (0..<200).map { 1 / (Double($0) + 1).squareRoot() }, 16, 1e-4, 2e-2),
        ("flat 1 … 0.8", (0..<200).map { 1 - 0.2 * Double($0) / 199 }, 16, 1e-3, 5e-2),
    ]

    @Test(arguments: spectra.indices) func matchesTheKnownSpectrum(index: Int) throws {
        let (name, spectrum, rank, shareError, valueError) = Self.spectra[index]
        let a = try Self.matrix(spectrum: spectrum, seed: 500 + UInt64(index))
        let total = a.reduce(0) { $0 + $1 * $1 }
        let svd = try LAPACK.randomizedSVD(rows: Self.rows, columns: Self.columns, values: a, rank: rank)
        #expect(svd.count == rank, "\(name)")
        for (computed, truth) in zip(svd.singularValues, spectrum) {
            #expect(computed <= truth * (1 + 1e-12) && computed >= truth * (1 - valueError), "\(name): σ̃ \(computed) vs σ \(truth)")
        }
        let exactShare = Self.share(spectrum.prefix(rank), of: total)
        #expect(abs(Self.share(svd.singularValues[...], of: total) - exactShare) < shareError, "\(name)")

        // U·diag(σ̃)·Vᵀ is the orthogonal projection of A: ‖A − U S̃ Vᵀ‖² = ‖A‖² − Σ σ̃², U and V orthonormal.
        let us = (0..<Self.rows * rank).map { svd.u[$0] * svd.singularValues[$0 % rank] }
        var residual = a
        BLAS.gemm(.none, .none, m: Self.rows, n: Self.columns, k: rank, alpha: -1, a: us, lda: rank, b: svd.vt, ldb: Self.columns,
                  beta: 1, c: &residual, ldc: Self.columns)
        let residualSquares = residual.reduce(0) { $0 + $1 * $1 }
        #expect(abs(residualSquares - (total - Self.share(svd.singularValues[...], of: 1))) < 1e-10 * total, "\(name)")
        for i in 0..<rank {
            for j in 0..<rank {
                let uu = (0..<Self.rows).reduce(0.0) { $0 + svd.u[$1 * rank + i] * svd.u[$1 * rank + j] }
                let vv = (0..<Self.columns).reduce(0.0) { $0 + svd.vt[i * Self.columns + $1] * svd.vt[j * Self.columns + $1] }
                #expect(abs(uu - (i == j ? 1 : 0)) < 1e-12 && abs(vv - (i == j ? 1 : 0)) < 1e-12, "\(name)")
            }
        }
    }

    @Test func isDeterministic() throws {
        let a = try Self.matrix(spectrum: (0..<200).map { 1 / (Double($0) + 1) }, seed: 510)
        let first = try LAPACK.randomizedSVD(rows: Self.rows, columns: Self.columns, values: a, rank: 12)
        let second = try LAPACK.randomizedSVD(rows: Self.rows, columns: Self.columns, values: a, rank: 12)
        #expect(first.u == second.u && first.vt == second.vt && first.singularValues == second.singularValues)
    }

    @Test func fallsBackToTheExactSVDWhereSamplingDoesNotPay() throws {
        let a = try Self.matrix(spectrum: (0..<200).map { 1 / (Double($0) + 1) }, seed: 511)
        #expect(!RandomizedSVD.pays(rank: 41, rows: Self.rows, columns: Self.columns) && RandomizedSVD.pays(rank: 40, rows: Self.rows, columns: Self.columns))
        let exact = try LAPACK.svd(rows: Self.rows, columns: Self.columns, values: a)
        let fallback = try LAPACK.randomizedSVD(rows: Self.rows, columns: Self.columns, values: a, rank: 41)
        #expect(fallback.singularValues == exact.singularValues && fallback.u == exact.u && fallback.vt == exact.vt)
        // A single row: nothing to sample.
        let row = try LAPACK.randomizedSVD(rows: 1, columns: 300, values: (0..<300).map(Double.init), rank: 1)
        #expect(row.count == 1 && abs(row.singularValues[0] - (0..<300).reduce(0.0) { $0 + Double($1 * $1) }.squareRoot()) < 1e-9)
    }

    @Test func zeroMatrixAndNonFiniteInput() throws {
        let zero = try LAPACK.randomizedSVD(rows: Self.rows, columns: Self.columns, values: [Double](repeating: 0, count: Self.rows * Self.columns), rank: 4)
        #expect(zero.singularValues == [0, 0, 0, 0])
        var a = try Self.matrix(spectrum: [1, 0.5], seed: 512)
        a[7] = .nan
        #expect(throws: LinearAlgebraError.nonFinite(what: "ΔW")) {
            try LAPACK.randomizedSVD(rows: Self.rows, columns: Self.columns, values: a, rank: 4, what: "ΔW")
        }
    }
}
