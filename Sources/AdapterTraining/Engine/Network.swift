/// A stack of linear layers with ReLU between them, plus the buffers a batch needs; forward and
/// backward passes reuse those buffers, so a training step allocates nothing.
final class Network {
    let layers: [any NetworkLayer]
    /// Every trainable parameter, contiguous, and its gradient.
    let values: FloatBuffer, gradients: FloatBuffer
    private var capacity = 0
    /// The output of each layer (after ReLU except for the last).
    private var activations: [FloatBuffer] = []
    /// Gradient with respect to each layer's output; two buffers per layer are never alive at once,
    /// so a ping-pong pair sized for the widest layer suffices.
    private var outputGradients: [FloatBuffer] = []

    init(layers: [any NetworkLayer]) {
        self.layers = layers
        let count = layers.reduce(0) { $0 + $1.trainableCount }
        values = FloatBuffer(count: count)
        gradients = FloatBuffer(count: count)
        var allocator = ParameterAllocator(values: values.pointer, gradients: gradients.pointer)
        for layer in layers { layer.bind(&allocator) }
    }

    var inputSize: Int { layers.first?.inputSize ?? 0 }
    var outputSize: Int { layers.last?.outputSize ?? 0 }
    var trainableCount: Int { values.count }

    /// Sizes every buffer for batches of up to `rows` inputs (done once, not per step).
    func reserve(rows: Int) {
        guard rows > capacity else { return }
        capacity = rows
        activations = layers.map { FloatBuffer(count: rows * $0.outputSize) }
        let widest = layers.map { max($0.inputSize, $0.outputSize) }.max() ?? 0
        outputGradients = [FloatBuffer(count: rows * widest), FloatBuffer(count: rows * widest)]
        for layer in layers { layer.reserve(rows: rows) }
    }

    /// The logits `[rows, classes]` for `input` `[rows, in]`; valid until the next call.
    func forward(_ input: UnsafePointer<Float>, rows: Int) -> UnsafeMutablePointer<Float> {
        reserve(rows: rows)
        var x = input
        for (index, layer) in layers.enumerated() {
            let y = activations[index].pointer
            layer.forward(x, rows: rows, into: y)
            if index < layers.count - 1 {
                StepProfiler.measure("\(layer.name) forward ReLU", flops: Double(rows * layer.outputSize)) {
                    Kernels.relu(y, count: rows * layer.outputSize)
                }
            }
            x = UnsafePointer(y)
        }
        return activations[layers.count - 1].pointer
    }

    /// Back-propagates `logitGradient` through the batch last passed to ``forward(_:rows:)``,
    /// filling ``gradients``. Stops at the first trainable layer: nothing below it needs a gradient.
    func backward(input: UnsafePointer<Float>, logitGradient: UnsafePointer<Float>, rows: Int) {
        var dy = logitGradient
        let lowest = layers.firstIndex { $0.trainableCount > 0 } ?? layers.count
        for index in stride(from: layers.count - 1, through: lowest, by: -1) {
            let layer = layers[index]
            let x = index == 0 ? input : UnsafePointer(activations[index - 1].pointer)
            let dx = index == lowest ? nil : outputGradients[index % 2].pointer
            layer.backward(x, outputGradient: dy, rows: rows, inputGradient: dx)
            if let dx {
                // ReLU: the gradient passes where the activation was positive.
                StepProfiler.measure("\(layers[index - 1].name) backward ReLU mask", flops: Double(rows * layer.inputSize)) {
                    Kernels.reluMask(dx, activation: x, count: rows * layer.inputSize)
                }
                dy = UnsafePointer(dx)
            }
        }
    }
}
