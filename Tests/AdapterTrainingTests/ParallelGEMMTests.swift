import AdapterCore
import AdapterTestSupport
import Testing
@testable import AdapterTraining

/// The column-split products must equal one single-threaded OpenBLAS call, for every transpose case.
struct ParallelGEMMTests {
    @Test(arguments: [BLAS.Transpose.none, .transposed], [BLAS.Transpose.none, .transposed])
    func splitProductEqualsOneCall(transA: BLAS.Transpose, transB: BLAS.Transpose) {
        let (m, n, k) = (110, 1009, 40)  // m·n·k above the split threshold; n/3 rounds down, and not to whole chunks
        #expect(m * n * k >= ParallelGEMM.parallelThreshold)
        var random = SeededGenerator(seed: 21)
        let a = random.floats(m * k), b = random.floats(k * n), start = random.floats(m * n)
        let lda = transA == .none ? k : m, ldb = transB == .none ? n : k
        var expected = start, actual = start
        ParallelGEMM.configure(workers: 3)
        defer { ParallelGEMM.configure(workers: Trainer.defaultThreadCount) }
        BLAS.gemm(transA, transB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb, beta: 2, c: &expected, ldc: n)
        ParallelGEMM.gemm(transA, transB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb, beta: 2, c: &actual, ldc: n)
        #expect(zip(expected, actual).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($0)) })
    }

    @Test func parallelColumnKernelsEqualPlainLoops() {
        let (rows, columns) = (40, 3001)  // above the split threshold; rows/3 rounds down, columns not whole chunks
        var random = SeededGenerator(seed: 22)
        let a = random.floats(rows * columns), b = random.floats(rows * columns), scales = random.floats(columns)
        var sums = [Float](repeating: 7, count: columns), scaled = [Float](repeating: 0, count: rows * columns)
        ParallelGEMM.configure(workers: 3)
        defer { ParallelGEMM.configure(workers: Trainer.defaultThreadCount) }
        Kernels.columnDotSums(a, b, rows: rows, columns: columns, into: &sums)
        Kernels.scaleColumns(a, rows: rows, columns: columns, by: scales, into: &scaled)
        for c in 0..<columns {
            let expected = (0..<rows).reduce(Float(0)) { $0 + a[$1 * columns + c] * b[$1 * columns + c] }
            #expect(abs(sums[c] - expected) <= 1e-4 * max(1, abs(expected)))
        }
        #expect((0..<(rows * columns)).allSatisfy { scaled[$0] == a[$0] * scales[$0 % columns] })
    }
}
