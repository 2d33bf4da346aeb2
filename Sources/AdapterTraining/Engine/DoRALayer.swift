import AdapterCore

/// DoRA: W' = m ⊙ V / ‖V‖ with V = W + s · B · A, the norm per output row or per input column.
///
/// Neither V nor ΔW is formed. The norms come from small products: per output row
/// ‖V_o‖² = ‖W_o‖² + 2s·B_o·(W Aᵀ)_o + s²·B_o (A Aᵀ) B_oᵀ (per input column the same with
/// Bᵀ W and Bᵀ B), so a step costs the frozen product x · Wᵀ plus rank-thin work. The gradient
/// flows through the norm exactly unless `detachNorm` treats ‖V‖ as a constant (the DoRA paper's
/// cheaper variant): with κ = −(∂L/∂g)·m/‖V‖³ per slice, dV = diag(κ)·V (output axis) or
/// V·diag(κ) (input axis), folded into dA = s·Bᵀ·dV and dB = s·dV·Aᵀ through the same small products.
final class DoRALayer: NetworkLayer {
    private var parameters: LowRankParameters
    let axis: NormAxis
    let detachNorm: Bool
    private var initialMagnitude: [Float]
    private var magnitude: FloatSlice
    private var magnitudeGradient: FloatSlice?
    private var magnitudeStorage: FloatBuffer?
    /// ‖W‖² along the axis (W is frozen).
    private let weightSquaredNorms: FloatBuffer
    /// Per axis entry: ‖V‖, m/‖V‖, and the gradient with respect to that scale.
    private let norms: FloatBuffer, scales: FloatBuffer, scaleGradient: FloatBuffer
    /// W·Aᵀ `[out, rank]` (output axis) or Bᵀ·W `[rank, in]` (input axis); A·Aᵀ or Bᵀ·B `[rank, rank]`.
    private let crossProduct: FloatBuffer, gram: FloatBuffer
    /// κ-scaled B (output axis) or A (input axis), and its `[rank, rank]` product with the other factor.
    private let scaledFactor: FloatBuffer, scaledGram: FloatBuffer
    /// Per batch: x·[W; A]ᵀ `[rows, out + rank]` (of the scaled input on the input axis), and dy·B `[rows, rank]`.
    private var product = FloatBuffer(count: 0), dyB = FloatBuffer(count: 0)
    /// Input axis, per batch: [dy | s·dy·B] `[rows, out + rank]`, so dx̃ = [dy | s·dy·B] · [W; A] is one product.
    private var stackedGradient = FloatBuffer(count: 0)
    /// Per batch: u = x·Vᵀ and its gradient `[rows, out]` (output axis), or x ⊙ g and its gradient `[rows, in]` (input axis).
    private var inner = FloatBuffer(count: 0), innerGradient = FloatBuffer(count: 0)

    init(base: Layer, adapter: AdapterLayer, axis: NormAxis, trainable: Bool, detachNorm: Bool) {
        parameters = LowRankParameters(base: base, adapter: adapter, trainable: trainable)
        self.axis = axis
        self.detachNorm = detachNorm
        let p = parameters
        let count = axis == .output ? p.outputSize : p.inputSize
        precondition(adapter.magnitude?.count == count, "DoRA magnitude must have one entry per \(axis) slice")
        initialMagnitude = adapter.magnitude ?? []
        let storage = FloatBuffer(initialMagnitude)
        magnitudeStorage = storage
        magnitude = FloatSlice(pointer: storage.pointer, count: count)
        weightSquaredNorms = p.weightSquaredNorms(axis)
        norms = FloatBuffer(count: count)
        scales = FloatBuffer(count: count)
        scaleGradient = FloatBuffer(count: count)
        let crossCount = axis == .output ? p.outputSize * p.rank : p.rank * p.inputSize
        crossProduct = FloatBuffer(count: crossCount)
        scaledFactor = FloatBuffer(count: crossCount)
        gram = FloatBuffer(count: p.rank * p.rank)
        scaledGram = FloatBuffer(count: p.rank * p.rank)
    }

    var name: String { parameters.name }
    var inputSize: Int { parameters.inputSize }
    var outputSize: Int { parameters.outputSize }
    var trainableCount: Int { parameters.factorCount + (parameters.isTrainable ? magnitude.count : 0) }

    func bind(_ allocator: inout ParameterAllocator) {
        guard parameters.isTrainable else { return }
        parameters.bind(&allocator)
        (magnitude, magnitudeGradient) = allocator.take(initialMagnitude)
        magnitudeStorage = nil
        initialMagnitude = []
    }

    func reserve(rows: Int) {
        let width = axis == .output ? outputSize : inputSize
        guard inner.count < rows * width else { return }
        product = FloatBuffer(count: rows * parameters.stackedWidth)
        stackedGradient = FloatBuffer(count: axis == .input ? rows * parameters.stackedWidth : 0)
        dyB = FloatBuffer(count: rows * parameters.rank)
        inner = FloatBuffer(count: rows * width)
        innerGradient = FloatBuffer(count: rows * width)
    }

    /// The current factors and magnitudes.
    var adapterLayer: AdapterLayer { parameters.adapterLayer(magnitude: magnitude.array) }

    /// ‖V‖ along the axis from the small products, and the scales m / ‖V‖.
    private func updateNorms() {
        let p = parameters, r = p.rank, s = p.scaling
        let (count, factor): (Int, UnsafeMutablePointer<Float>)
        switch axis {
        case .output:
            Kernels.multiplyTransposed(p.weight, p.a.pointer, rows: p.outputSize, inner: p.inputSize, outputs: r, into: crossProduct.pointer)
            Kernels.multiplyTransposed(p.a.pointer, p.a.pointer, rows: r, inner: p.inputSize, outputs: r, into: gram.pointer)
            (count, factor) = (p.outputSize, p.b.pointer)
        case .input:
            Kernels.multiplyFirstTransposed(p.b.pointer, p.weight, m: r, k: p.outputSize, n: p.inputSize, into: crossProduct.pointer)
            Kernels.multiplyFirstTransposed(p.b.pointer, p.b.pointer, m: r, k: p.outputSize, n: r, into: gram.pointer)
            (count, factor) = (p.inputSize, p.a.pointer)
        }
        let stride = factorStride
        for entry in 0..<count {
            var cross: Float = 0, quadratic: Float = 0
            for k in 0..<r {
                let fk = factor[entry * stride.entry + k * stride.rank]
                cross += fk * crossProduct.pointer[entry * stride.entry + k * stride.rank]
                var row: Float = 0
                for l in 0..<r { row += gram.pointer[k * r + l] * factor[entry * stride.entry + l * stride.rank] }
                quadratic += fk * row
            }
            let squared = weightSquaredNorms.pointer[entry] + 2 * s * cross + s * s * quadratic
            norms.pointer[entry] = max(squared, .leastNormalMagnitude).squareRoot()
            scales.pointer[entry] = magnitude.pointer[entry] / norms.pointer[entry]
        }
    }

    /// How the factor along the axis is laid out: on the output axis slice o's entry k is B[o, k];
    /// on the input axis slice c's entry k is A[k, c]. ``crossProduct`` has the same layout.
    private var factorStride: (entry: Int, rank: Int) { axis == .output ? (parameters.rank, 1) : (1, parameters.inputSize) }

    /// The norm's share of the gradient of the factor along the axis (B on the output axis, A on the
    /// input axis): with κ_e = −t_e·m_e/‖V_e‖³ it adds s·κ_e·(crossProduct + s·factor·gram) to
    /// `factorGradient`, and stores κ_e·factor in ``scaledFactor`` for the other factor's share.
    private func addNormGradient(_ t: UnsafePointer<Float>, factor: UnsafePointer<Float>, factorGradient: UnsafeMutablePointer<Float>) {
        let r = parameters.rank, s = parameters.scaling, stride = factorStride
        for entry in 0..<norms.count {
            let n = norms.pointer[entry], kappa = -t[entry] * magnitude.pointer[entry] / (n * n * n)
            for k in 0..<r {
                var viaGram: Float = 0
                for l in 0..<r { viaGram += factor[entry * stride.entry + l * stride.rank] * gram.pointer[l * r + k] }
                let index = entry * stride.entry + k * stride.rank
                factorGradient[index] += s * kappa * (crossProduct.pointer[index] + s * viaGram)
                scaledFactor.pointer[index] = kappa * factor[index]
            }
        }
    }

    func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        StepProfiler.measure("\(name) forward norms ‖V‖ (small products)") { updateNorms() }
        let p = parameters
        switch axis {
        case .output:
            // u = x·Wᵀ + s·(x·Aᵀ)·Bᵀ;  y = u ⊙ g + b
            p.multiplyStacked(x, rows: rows, into: product.pointer)
            for row in 0..<rows {
                (inner.pointer + row * p.outputSize).update(from: product.pointer + row * p.stackedWidth, count: p.outputSize)
            }
            p.addLowRankTerm(from: product.pointer, rows: rows, into: inner.pointer)
            for row in 0..<rows {
                let u = inner.pointer + row * p.outputSize, out = y + row * p.outputSize
                for o in 0..<p.outputSize { out[o] = u[o] * scales.pointer[o] + p.bias.pointer[o] }
            }
        case .input:
            // x̃ = x ⊙ g;  y = x̃·Wᵀ + s·(x̃·Aᵀ)·Bᵀ + b
            StepProfiler.measure("\(name) forward x̃ = x ⊙ m/‖V‖", flops: Double(rows * p.inputSize)) {
                Kernels.scaleColumns(x, rows: rows, columns: p.inputSize, by: scales.pointer, into: inner.pointer)
            }
            p.multiplyStacked(inner.pointer, rows: rows, into: product.pointer)
            p.writeBiasPlusBase(product.pointer, rows: rows, into: y)
            p.addLowRankTerm(from: product.pointer, rows: rows, into: y)
        }
    }

    func backward(_ x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>, rows: Int, inputGradient dx: UnsafeMutablePointer<Float>?) {
        switch axis {
        case .output: StepProfiler.measure("\(name) backward (output axis, whole)") { backwardOutputAxis(x, dy, rows: rows, dx: dx) }
        case .input: backwardInputAxis(x, dy, rows: rows, dx: dx)
        }
    }

    private func backwardOutputAxis(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, rows: Int, dx: UnsafeMutablePointer<Float>?) {
        let p = parameters, r = p.rank, s = p.scaling, out = p.outputSize
        // ∂L/∂g_o = Σ_i dy_io u_io;  du = dy ⊙ g
        let t = scaleGradient.pointer, du = innerGradient.pointer, u = inner.pointer
        Kernels.columnDotSums(dy, u, rows: rows, columns: out, into: t)
        Kernels.scaleColumns(dy, rows: rows, columns: out, by: scales.pointer, into: du)
        Kernels.multiply(du, p.b.pointer, m: rows, k: out, n: r, into: dyB.pointer)
        if let aGradient = p.aGradient, let bGradient = p.bGradient, let magnitudeGradient {
            for o in 0..<out { magnitudeGradient.pointer[o] = t[o] / norms.pointer[o] }
            p.writeBGradient(du, product: product.pointer, rows: rows, into: bGradient.pointer)
            Kernels.multiplyFirstTransposed(dyB.pointer, x, m: r, k: rows, n: p.inputSize, alpha: s, into: aGradient.pointer)
            if !detachNorm {
                // dV = diag(κ)·V with κ_o = −t_o m_o / ‖V_o‖³;  dB += s·dV·Aᵀ, dA += s·Bᵀ·dV
                addNormGradient(t, factor: p.b.pointer, factorGradient: bGradient.pointer)
                let scaledB = scaledFactor.pointer
                Kernels.multiplyFirstTransposed(scaledB, p.weight, m: r, k: out, n: p.inputSize, alpha: s, beta: 1, into: aGradient.pointer)
                Kernels.multiplyFirstTransposed(scaledB, p.b.pointer, m: r, k: out, n: r, into: scaledGram.pointer)
                Kernels.multiply(scaledGram.pointer, p.a.pointer, m: r, k: r, n: p.inputSize, alpha: s * s, beta: 1, into: aGradient.pointer)
            }
        }
        if let dx {
            Kernels.multiply(du, p.weight, m: rows, k: out, n: p.inputSize, into: dx)
            Kernels.multiply(dyB.pointer, p.a.pointer, m: rows, k: r, n: p.inputSize, alpha: s, beta: 1, into: dx)
        }
    }

    private func backwardInputAxis(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, rows: Int, dx: UnsafeMutablePointer<Float>?) {
        let p = parameters, r = p.rank, s = p.scaling, width = p.inputSize
        let scaledInput = inner.pointer, dScaled = innerGradient.pointer, t = scaleGradient.pointer
        StepProfiler.measure("\(name) backward GEMM dy·B", flops: StepProfiler.gemmFlops(m: rows, n: r, k: p.outputSize)) {
            Kernels.multiply(dy, p.b.pointer, m: rows, k: p.outputSize, n: r, into: dyB.pointer)
        }
        // dx̃ = dy·W + s·(dy·B)·A = [dy | s·dy·B] · [W; A];  ∂L/∂g_c = Σ_i dx̃_ic x_ic
        let joined = stackedGradient.pointer, joinedWidth = p.stackedWidth
        StepProfiler.measure("\(name) backward stack [dy | s·dy·B]") {
            for row in 0..<rows {
                (joined + row * joinedWidth).update(from: dy + row * p.outputSize, count: p.outputSize)
                for k in 0..<r { joined[row * joinedWidth + p.outputSize + k] = s * dyB.pointer[row * r + k] }
            }
        }
        StepProfiler.measure("\(name) backward GEMM dx̃ = [dy | s·dy·B]·[W; A]", flops: StepProfiler.gemmFlops(m: rows, n: width, k: joinedWidth)) {
            Kernels.multiply(joined, p.stacked.pointer, m: rows, k: joinedWidth, n: width, into: dScaled)
        }
        StepProfiler.measure("\(name) backward ∂L/∂g = Σ dx̃ ⊙ x", flops: Double(2 * rows * width)) {
            Kernels.columnDotSums(dScaled, x, rows: rows, columns: width, into: t)
        }
        if let aGradient = p.aGradient, let bGradient = p.bGradient, let magnitudeGradient {
            for c in 0..<width { magnitudeGradient.pointer[c] = t[c] / norms.pointer[c] }
            p.writeBGradient(dy, product: product.pointer, rows: rows, into: bGradient.pointer)
            StepProfiler.measure("\(name) backward GEMM dA = s·(dy·B)ᵀ·x̃", flops: StepProfiler.gemmFlops(m: r, n: width, k: rows)) {
                Kernels.multiplyFirstTransposed(dyB.pointer, scaledInput, m: r, k: rows, n: width, alpha: s, into: aGradient.pointer)
            }
            if !detachNorm {
                // dV = V·diag(κ) with κ_c = −t_c m_c / ‖V_c‖³;  dA += s·Bᵀ·dV, dB += s·dV·Aᵀ
                StepProfiler.measure("\(name) backward gradient through ‖V‖", flops: StepProfiler.gemmFlops(m: p.outputSize, n: r, k: width)) {
                    addNormGradient(t, factor: p.a.pointer, factorGradient: aGradient.pointer)
                    let scaledA = scaledFactor.pointer
                    Kernels.multiplyTransposed(p.weight, scaledA, rows: p.outputSize, inner: width, outputs: r, alpha: s, beta: 1, into: bGradient.pointer)
                    Kernels.multiplyTransposed(p.a.pointer, scaledA, rows: r, inner: width, outputs: r, into: scaledGram.pointer)
                    Kernels.multiply(p.b.pointer, scaledGram.pointer, m: p.outputSize, k: r, n: r, alpha: s * s, beta: 1, into: bGradient.pointer)
                }
            }
        }
        if let dx {
            StepProfiler.measure("\(name) backward dx = dx̃ ⊙ m/‖V‖", flops: Double(rows * width)) {
                Kernels.scaleColumns(dScaled, rows: rows, columns: width, by: scales.pointer, into: dx)
            }
        }
    }
}
