import AdapterCore
import Foundation

/// Splits large matrix products and loops across the cores with single-threaded OpenBLAS calls.
///
/// OpenBLAS's own threads spin between calls and, for the batch-sized products of a training step
/// (64 × 3072 × 128), lose more to waking and yielding than they gain — on a busy machine even
/// slower than one thread. Splitting C by columns over a few GCD workers gives each call a
/// contiguous half of the work and lets idle workers sleep.
enum ParallelGEMM {
    /// Workers used (set with ``configure(workers:)``; OpenBLAS itself is kept on one thread).
    nonisolated(unsafe) private(set) static var workers = 1
    /// Products below this many multiply-adds run on the calling thread: the split costs more.
    /// Measured with `adaptool roofline`: the second layer's 64 × 128 × 256 products (2 M) ran at
    /// 60–85 GFLOP/s split in two and at about 110 on one thread; the first layer's (25 M) gain from the split.
    static let parallelThreshold = 1 << 22

    /// Uses `count` workers and puts OpenBLAS on one thread.
    static func configure(workers count: Int) {
        workers = max(1, count)
        BLAS.setThreadCount(1)
    }

    /// Pointers handed to the workers; each writes only its own column range of C.
    private struct Operands: @unchecked Sendable {
        let a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>
    }

    /// C ← alpha · op(A) · op(B) + beta · C (row-major), split by columns of C when large.
    static func gemm(_ transA: BLAS.Transpose, _ transB: BLAS.Transpose, m: Int, n: Int, k: Int, alpha: Float = 1,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let parts = m * n * k >= parallelThreshold ? min(workers, max(1, n / 16)) : 1
        guard parts > 1 else {
            BLAS.gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        // Column ranges rounded to 16 floats (one cache line of each row) per worker.
        let width = ((n + parts - 1) / parts + 15) / 16 * 16
        let operands = Operands(a: a, b: b, c: c)
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let start = part * width, end = min(n, start + width)
            guard start < end else { return }
            // op(B)'s columns start..<end: columns of B, or rows of B when it is used transposed.
            let bPart = transB == .none ? operands.b + start : operands.b + start * ldb
            BLAS.gemm(transA, transB, m: m, n: end - start, k: k, alpha: alpha, a: operands.a, lda: lda, b: bPart, ldb: ldb,
                      beta: beta, c: operands.c + start, ldc: ldc)
        }
    }

    /// Runs `body` over `0..<count` in as many contiguous chunks as there are workers (chunk bounds
    /// are multiples of `alignment`); on the calling thread when `count` is below `threshold`.
    static func forEachChunk(count: Int, alignment: Int = 8, threshold: Int = 1 << 16, _ body: @Sendable (Range<Int>) -> Void) {
        let parts = count >= threshold ? workers : 1
        guard parts > 1 else { body(0..<count); return }
        let size = ((count + parts - 1) / parts + alignment - 1) / alignment * alignment
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let start = part * size, end = min(count, start + size)
            if start < end { body(start..<end) }
        }
    }
}
