import AdapterCore

/// LoRA: y = x · Wᵀ + b + scaling · (x · Aᵀ) · Bᵀ. The full ΔW is never formed; a step costs
/// the frozen product plus two rank-thin products.
final class LoRALayer: NetworkLayer {
    private var parameters: LowRankParameters
    /// x · [W; A]ᵀ `[rows, out + rank]` from the forward pass, and dy · B `[rows, rank]`.
    private var product = FloatBuffer(count: 0), dyB = FloatBuffer(count: 0)

    init(base: Layer, adapter: AdapterLayer, trainable: Bool) {
        parameters = LowRankParameters(base: base, adapter: adapter, trainable: trainable)
    }

    var name: String { parameters.name }
    var inputSize: Int { parameters.inputSize }
    var outputSize: Int { parameters.outputSize }
    var trainableCount: Int { parameters.factorCount }
    func bind(_ allocator: inout ParameterAllocator) { parameters.bind(&allocator) }

    func reserve(rows: Int) {
        guard dyB.count < rows * parameters.rank else { return }
        product = FloatBuffer(count: rows * parameters.stackedWidth)
        dyB = FloatBuffer(count: rows * parameters.rank)
    }

    /// The current factors.
    var adapterLayer: AdapterLayer { parameters.adapterLayer(magnitude: nil) }

    func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        let p = parameters
        p.multiplyStacked(x, rows: rows, into: product.pointer)
        p.writeBiasPlusBase(product.pointer, rows: rows, into: y)
        p.addLowRankTerm(from: product.pointer, rows: rows, into: y)
    }

    func backward(_ x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>, rows: Int, inputGradient dx: UnsafeMutablePointer<Float>?) {
        let p = parameters
        StepProfiler.measure("\(name) backward GEMM dy·B", flops: StepProfiler.gemmFlops(m: rows, n: p.rank, k: p.outputSize)) {
            Kernels.multiply(dy, p.b.pointer, m: rows, k: p.outputSize, n: p.rank, into: dyB.pointer)
        }
        if let aGradient = p.aGradient, let bGradient = p.bGradient {
            // dB = s · dyᵀ · (x Aᵀ);  dA = s · (dy B)ᵀ · x
            p.writeBGradient(dy, product: product.pointer, rows: rows, into: bGradient.pointer)
            StepProfiler.measure("\(name) backward GEMM dA = s·(dy·B)ᵀ·x", flops: StepProfiler.gemmFlops(m: p.rank, n: p.inputSize, k: rows)) {
                Kernels.multiplyFirstTransposed(dyB.pointer, x, m: p.rank, k: rows, n: p.inputSize, alpha: p.scaling, into: aGradient.pointer)
            }
        }
        if let dx {
            // dx = dy · W + s · (dy B) · A
            StepProfiler.measure("\(name) backward GEMM dx = dy·W", flops: StepProfiler.gemmFlops(m: rows, n: p.inputSize, k: p.outputSize)) {
                Kernels.multiply(dy, p.weight, m: rows, k: p.outputSize, n: p.inputSize, into: dx)
            }
            StepProfiler.measure("\(name) backward GEMM dx += s·(dy·B)·A", flops: StepProfiler.gemmFlops(m: rows, n: p.inputSize, k: p.rank)) {
                Kernels.multiply(dyB.pointer, p.a.pointer, m: rows, k: p.rank, n: p.inputSize, alpha: p.scaling, beta: 1, into: dx)
            }
        }
    }
}
