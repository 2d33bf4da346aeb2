import LinearAlgebra
import AdapterTestSupport
import Testing

/// The LAPACK wrapper against facts that need no second SVD: reconstruction, orthonormality,
/// and the singular values of a matrix built from known ones.
@Suite struct SVDTests {
    @Test(arguments: [(7, 4), (4, 7), (5, 5)]) func reconstructsTheMatrix(shape: (Int, Int)) throws {
        let (rows, columns) = shape
        var rng = SeededGenerator(seed: 81)
        let values = rng.floats(rows * columns).map(Double.init)
        let svd = try LAPACK.svd(rows: rows, columns: columns, values: values)
        let k = min(rows, columns)
        #expect(svd.count == k && zip(svd.singularValues, svd.singularValues.dropFirst()).allSatisfy { $0 >= $1 })
        for r in 0..<rows {
            for c in 0..<columns {
                var sum = 0.0
                for j in 0..<k { sum += svd.u[r * k + j] * svd.singularValues[j] * svd.vt[j * columns + c] }
                #expect(abs(sum - values[r * columns + c]) < 1e-12)
            }
        }
        for i in 0..<k {
            for j in 0..<k {
                let uu = (0..<rows).reduce(0.0) { $0 + svd.u[$1 * k + i] * svd.u[$1 * k + j] }
                let vv = (0..<columns).reduce(0.0) { $0 + svd.vt[i * columns + $1] * svd.vt[j * columns + $1] }
                #expect(abs(uu - (i == j ? 1 : 0)) < 1e-12 && abs(vv - (i == j ? 1 : 0)) < 1e-12)
            }
        }
    }

    @Test func singularValuesOfADiagonalScaledPermutation() throws {
        // diag(3, −5, 0.5) with rows permuted: singular values are |entries|, sorted.
        let values: [Double] = [0, -5, 0, 0, 0, 0.5, 3, 0, 0]
        let svd = try LAPACK.svd(rows: 3, columns: 3, values: values, vectors: false)
        #expect(zip(svd.singularValues, [5.0, 3, 0.5]).allSatisfy { abs($0 - $1) < 1e-14 })
        #expect(svd.u.isEmpty)
    }

    @Test func refusesNonFiniteInput() {
        #expect(throws: LinearAlgebraError.nonFinite(what: "ΔW")) {
            try LAPACK.svd(rows: 1, columns: 2, values: [1, .nan], what: "ΔW")
        }
    }
}
