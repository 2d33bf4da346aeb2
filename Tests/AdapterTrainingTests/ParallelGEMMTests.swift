import AdapterCore
import AdapterTestSupport
import Testing
@testable import AdapterTraining

/// The column-split products must equal one single-threaded OpenBLAS call, for every transpose case.
struct ParallelGEMMTests {
    @Test(arguments: [BLAS.Transpose.none, .transposed], [BLAS.Transpose.none, .transposed])
    func splitProductEqualsOneCall(transA: BLAS.Transpose, transB: BLAS.Transpose) {
        let (m, n, k) = (70, 1000, 40)  // m·n·k above the split threshold; n not a multiple of the chunk width
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
}
