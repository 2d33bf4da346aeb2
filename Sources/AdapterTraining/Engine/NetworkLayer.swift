import AdapterCore

/// One linear layer of the training engine with a hand-written backward pass.
///
/// All tensors are row-major float32; a batch is `rows` inputs of ``inputSize`` features. Layers
/// never allocate after ``reserve(rows:)``: every intermediate lives in a buffer sized for the
/// largest batch.
protocol NetworkLayer: AnyObject {
    /// The base layer's name.
    var name: String { get }
    /// Input features.
    var inputSize: Int { get }
    /// Output features.
    var outputSize: Int { get }
    /// Number of trainable parameters (0 when frozen).
    var trainableCount: Int { get }
    /// Places the trainable tensors in the flat parameter store (called once, before training).
    func bind(_ allocator: inout ParameterAllocator)
    /// Sizes the per-batch buffers for batches of up to `rows` inputs.
    func reserve(rows: Int)
    /// y = layer(x) for `rows` inputs.
    func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>)
    /// Writes the gradients of the trainable tensors (overwriting, not accumulating) and, when
    /// `dx` is given, the gradient with respect to the input. Must follow ``forward(_:rows:into:)``
    /// on the same `x`.
    func backward(_ x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>, rows: Int, inputGradient dx: UnsafeMutablePointer<Float>?)
}

/// Small helpers shared by the layers (row-major, batch-first).
enum Kernels {
    /// y[i, :] = bias for every row.
    static func fillRows(_ y: UnsafeMutablePointer<Float>, rows: Int, with bias: UnsafePointer<Float>, columns: Int) {
        for row in 0..<rows { (y + row * columns).update(from: bias, count: columns) }
    }

    /// Lanes of the explicit vector loops below: the compiler does not vectorise a conditional
    /// store, and with random signs a branch per value mispredicts about half the time.
    typealias Lanes = SIMD8<Float>

    /// y ← max(y, 0) in place (ReLU; a negative zero stays as it is, as with a compare-and-clear).
    static func relu(_ y: UnsafeMutablePointer<Float>, count: Int) {
        let whole = count / Lanes.scalarCount * Lanes.scalarCount
        for i in stride(from: 0, to: whole, by: Lanes.scalarCount) {
            let raw = UnsafeMutableRawPointer(y + i), v = raw.loadUnaligned(as: Lanes.self)
            raw.storeBytes(of: v.replacing(with: 0, where: v .< 0), as: Lanes.self)
        }
        for i in whole..<count where y[i] < 0 { y[i] = 0 }
    }

    /// dx ← 0 where the ReLU's output `activation` is not positive (the ReLU's backward pass).
    static func reluMask(_ dx: UnsafeMutablePointer<Float>, activation x: UnsafePointer<Float>, count: Int) {
        let whole = count / Lanes.scalarCount * Lanes.scalarCount
        for i in stride(from: 0, to: whole, by: Lanes.scalarCount) {
            let raw = UnsafeMutableRawPointer(dx + i), mask = UnsafeRawPointer(x + i).loadUnaligned(as: Lanes.self) .<= 0
            raw.storeBytes(of: raw.loadUnaligned(as: Lanes.self).replacing(with: 0, where: mask), as: Lanes.self)
        }
        for i in whole..<count where x[i] <= 0 { dx[i] = 0 }
    }

    /// sums[j] = Σ_i m[i, j].
    static func columnSums(_ m: UnsafePointer<Float>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Float>) {
        sums.update(repeating: 0, count: columns)
        for row in 0..<rows {
            let line = m + row * columns
            for column in 0..<columns { sums[column] += line[column] }
        }
    }

    /// y = x · wᵀ (+ beta · y): `x` is `rows × inner`, `w` is `outputs × inner`.
    static func multiplyTransposed(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, rows: Int, inner: Int, outputs: Int,
                                   alpha: Float = 1, beta: Float = 0, into y: UnsafeMutablePointer<Float>) {
        ParallelGEMM.gemm(.none, .transposed, m: rows, n: outputs, k: inner, alpha: alpha, a: x, lda: inner, b: w, ldb: inner, beta: beta, c: y, ldc: outputs)
    }

    /// c = a · b (+ beta · c): `a` is `m × k`, `b` is `k × n`.
    static func multiply(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, m: Int, k: Int, n: Int,
                         alpha: Float = 1, beta: Float = 0, into c: UnsafeMutablePointer<Float>) {
        ParallelGEMM.gemm(.none, .none, m: m, n: n, k: k, alpha: alpha, a: a, lda: k, b: b, ldb: n, beta: beta, c: c, ldc: n)
    }

    /// c = aᵀ · b (+ beta · c): `a` is `k × m`, `b` is `k × n` (a gradient over a batch of `k` rows).
    static func multiplyFirstTransposed(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, m: Int, k: Int, n: Int,
                                        alpha: Float = 1, beta: Float = 0, into c: UnsafeMutablePointer<Float>) {
        ParallelGEMM.gemm(.transposed, .none, m: m, n: n, k: k, alpha: alpha, a: a, lda: m, b: b, ldb: n, beta: beta, c: c, ldc: n)
    }

    /// Three buffers handed to workers that each write their own disjoint part of `target`.
    private struct Shared: @unchecked Sendable {
        let first: UnsafePointer<Float>, second: UnsafePointer<Float>, target: UnsafeMutablePointer<Float>
    }

    /// target[i, c] = m[i, c] · scales[c], rows spread over the workers.
    static func scaleColumns(_ m: UnsafePointer<Float>, rows: Int, columns: Int, by scales: UnsafePointer<Float>,
                             into target: UnsafeMutablePointer<Float>) {
        let shared = Shared(first: m, second: scales, target: target)
        ParallelGEMM.forEachChunk(count: rows, alignment: 1, threshold: max(1, (1 << 16) / max(columns, 1))) { range in
            for row in range {
                let source = shared.first + row * columns, line = shared.target + row * columns
                for c in 0..<columns { line[c] = source[c] * shared.second[c] }
            }
        }
    }

    /// sums[c] = Σ_i a[i, c] · b[i, c], column ranges spread over the workers.
    static func columnDotSums(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, rows: Int, columns: Int,
                              into sums: UnsafeMutablePointer<Float>) {
        let shared = Shared(first: a, second: b, target: sums)
        ParallelGEMM.forEachChunk(count: columns, alignment: 16, threshold: rows * columns >= 1 << 16 ? 0 : Int.max) { range in
            shared.target.advanced(by: range.lowerBound).update(repeating: 0, count: range.count)
            for row in 0..<rows {
                let left = shared.first + row * columns, right = shared.second + row * columns
                for c in range { shared.target[c] += left[c] * right[c] }
            }
        }
    }
}
