import AdapterCore

/// y = x · Wᵀ + b with W and b either trained (base and full fine-tuning) or frozen.
final class DenseLayer: NetworkLayer {
    let name: String
    let inputSize: Int
    let outputSize: Int
    let isTrainable: Bool
    private var initialWeight: [Float], initialBias: [Float]
    private var weight: FloatSlice, bias: FloatSlice
    private var weightGradient: FloatSlice?, biasGradient: FloatSlice?
    /// Owns the frozen tensors (unused when trainable).
    private var frozenStorage: [FloatBuffer] = []

    /// A layer starting from `layer`'s weights.
    init(_ layer: Layer, trainable: Bool) {
        name = layer.name
        inputSize = layer.inputSize
        outputSize = layer.outputSize
        isTrainable = trainable
        initialWeight = layer.weight.values
        initialBias = layer.bias
        let w = FloatBuffer(layer.weight.values), b = FloatBuffer(layer.bias)
        frozenStorage = [w, b]
        weight = FloatSlice(pointer: w.pointer, count: w.count)
        bias = FloatSlice(pointer: b.pointer, count: b.count)
    }

    var trainableCount: Int { isTrainable ? (inputSize + 1) * outputSize : 0 }

    func bind(_ allocator: inout ParameterAllocator) {
        guard isTrainable else { return }
        (weight, weightGradient) = allocator.take(initialWeight)
        (bias, biasGradient) = allocator.take(initialBias)
        frozenStorage = []
        initialWeight = []
        initialBias = []
    }

    func reserve(rows: Int) {}

    /// The current weights as a checkpoint layer.
    var layer: Layer {
        Layer(name: name, weight: Matrix(rows: outputSize, columns: inputSize, values: weight.array), bias: bias.array)
    }

    func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        StepProfiler.measure("\(name) forward bias fill") {
            Kernels.fillRows(y, rows: rows, with: bias.pointer, columns: outputSize)
        }
        StepProfiler.measure("\(name) forward GEMM y += x·Wᵀ", flops: StepProfiler.gemmFlops(m: rows, n: outputSize, k: inputSize)) {
            Kernels.multiplyTransposed(x, weight.pointer, rows: rows, inner: inputSize, outputs: outputSize, beta: 1, into: y)
        }
    }

    func backward(_ x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>, rows: Int, inputGradient dx: UnsafeMutablePointer<Float>?) {
        if let weightGradient, let biasGradient {
            StepProfiler.measure("\(name) backward GEMM dW = dyᵀ·x", flops: StepProfiler.gemmFlops(m: outputSize, n: inputSize, k: rows)) {
                Kernels.multiplyFirstTransposed(dy, x, m: outputSize, k: rows, n: inputSize, into: weightGradient.pointer)
            }
            StepProfiler.measure("\(name) backward bias gradient Σ dy", flops: Double(rows * outputSize)) {
                Kernels.columnSums(dy, rows: rows, columns: outputSize, into: biasGradient.pointer)
            }
        }
        if let dx {
            StepProfiler.measure("\(name) backward GEMM dx = dy·W", flops: StepProfiler.gemmFlops(m: rows, n: inputSize, k: outputSize)) {
                Kernels.multiply(dy, weight.pointer, m: rows, k: outputSize, n: inputSize, into: dx)
            }
        }
    }
}
