import AdapterCore

/// What LoRA and DoRA layers share: the frozen base weight and bias, and the trainable (or, for
/// evaluation, frozen) factors A `[rank, in]` and B `[out, rank]` with ΔW = scaling · B · A.
struct LowRankParameters {
    let name: String
    let inputSize: Int
    let outputSize: Int
    let rank: Int
    let scaling: Float
    /// Whether A and B (and DoRA's magnitude) are trained.
    let isTrainable: Bool
    /// [W; A] stacked, `[out + rank, in]`: W (frozen) in the first `out` rows, a copy of A refreshed
    /// before every forward pass below, so one product gives x·Wᵀ and x·Aᵀ in a single pass over x.
    let stacked: FloatBuffer
    /// The frozen bias.
    let bias: FloatBuffer
    private(set) var a: FloatSlice, b: FloatSlice
    private(set) var aGradient: FloatSlice?, bGradient: FloatSlice?
    private var initialA: [Float], initialB: [Float]
    /// Owns A and B when they are not in the parameter store.
    private var storage: [FloatBuffer]

    init(base: Layer, adapter: AdapterLayer, trainable: Bool) {
        name = base.name
        inputSize = base.inputSize
        outputSize = base.outputSize
        rank = adapter.rank
        scaling = Float(adapter.scaling)
        isTrainable = trainable
        stacked = FloatBuffer(base.weight.values + adapter.a.values)
        bias = FloatBuffer(base.bias)
        initialA = adapter.a.values
        initialB = adapter.b.values
        let aBuffer = FloatBuffer(adapter.a.values), bBuffer = FloatBuffer(adapter.b.values)
        storage = [aBuffer, bBuffer]
        a = FloatSlice(pointer: aBuffer.pointer, count: aBuffer.count)
        b = FloatSlice(pointer: bBuffer.pointer, count: bBuffer.count)
    }

    /// The frozen base weight `[out, in]` (the top of ``stacked``).
    var weight: UnsafeMutablePointer<Float> { stacked.pointer }

    /// Columns of a stacked product: `out` then `rank`.
    var stackedWidth: Int { outputSize + rank }

    /// product = x · [W; A]ᵀ, `[rows, out + rank]`: x·Wᵀ in the first `out` columns, x·Aᵀ in the last `rank`.
    func multiplyStacked(_ x: UnsafePointer<Float>, rows: Int, into product: UnsafeMutablePointer<Float>) {
        StepProfiler.measure("\(name) forward copy A into [W; A]") {
            (stacked.pointer + outputSize * inputSize).update(from: a.pointer, count: rank * inputSize)
        }
        StepProfiler.measure("\(name) forward GEMM x·[W; A]ᵀ", flops: StepProfiler.gemmFlops(m: rows, n: stackedWidth, k: inputSize)) {
            Kernels.multiplyTransposed(x, stacked.pointer, rows: rows, inner: inputSize, outputs: stackedWidth, into: product)
        }
    }

    /// y += scaling · (x·Aᵀ) · Bᵀ, with x·Aᵀ read from the last `rank` columns of a stacked `product`.
    func addLowRankTerm(from product: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        StepProfiler.measure("\(name) forward GEMM y += s·(x·Aᵀ)·Bᵀ", flops: StepProfiler.gemmFlops(m: rows, n: outputSize, k: rank)) {
            ParallelGEMM.gemm(.none, .transposed, m: rows, n: outputSize, k: rank, alpha: scaling, a: product + outputSize, lda: stackedWidth,
                              b: b.pointer, ldb: rank, beta: 1, c: y, ldc: outputSize)
        }
    }

    /// dB = scaling · dyᵀ · (x·Aᵀ), with x·Aᵀ from a stacked `product`.
    func writeBGradient(_ dy: UnsafePointer<Float>, product: UnsafePointer<Float>, rows: Int, into gradient: UnsafeMutablePointer<Float>) {
        StepProfiler.measure("\(name) backward GEMM dB = s·dyᵀ·(x·Aᵀ)", flops: StepProfiler.gemmFlops(m: outputSize, n: rank, k: rows)) {
            ParallelGEMM.gemm(.transposed, .none, m: outputSize, n: rank, k: rows, alpha: scaling, a: dy, lda: outputSize,
                              b: product + outputSize, ldb: stackedWidth, beta: 0, c: gradient, ldc: rank)
        }
    }

    /// y[i, o] = bias[o] + product[i, o] for the first `out` columns of a stacked product.
    func writeBiasPlusBase(_ product: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        StepProfiler.measure("\(name) forward bias add", flops: Double(rows * outputSize)) {
            for row in 0..<rows {
                let source = product + row * stackedWidth, target = y + row * outputSize
                for o in 0..<outputSize { target[o] = bias.pointer[o] + source[o] }
            }
        }
    }

    var factorCount: Int { isTrainable ? rank * (inputSize + outputSize) : 0 }

    mutating func bind(_ allocator: inout ParameterAllocator) {
        guard isTrainable else { return }
        (a, aGradient) = allocator.take(initialA)
        (b, bGradient) = allocator.take(initialB)
        storage = []
        initialA = []
        initialB = []
    }

    /// The current factors as an adapter layer.
    func adapterLayer(magnitude: [Float]?) -> AdapterLayer {
        AdapterLayer(name: name, a: Matrix(rows: rank, columns: inputSize, values: a.array),
                     b: Matrix(rows: outputSize, columns: rank, values: b.array), magnitude: magnitude, scaling: Double(scaling))
    }

    /// Squared norms of the frozen weight's rows (`output`) or columns (`input`), computed once.
    func weightSquaredNorms(_ axis: NormAxis) -> FloatBuffer {
        let norms = FloatBuffer(count: axis == .output ? outputSize : inputSize)
        for row in 0..<outputSize {
            let line = weight + row * inputSize
            for column in 0..<inputSize {
                let value = line[column] * line[column]
                if axis == .output { norms.pointer[row] += value } else { norms.pointer[column] += value }
            }
        }
        return norms
    }
}
