/// One mini-batch step of the trainer (gather, forward, loss, backward, Adam) with its buffers,
/// shared by ``Trainer`` and the ``Roofline`` report so that both time the same code.
final class TrainingStep {
    let network: Network
    let loader: BatchLoader
    private let logitGradient: FloatBuffer
    private let optimizer: AdamOptimizer

    /// Buffers for batches of up to `batch` images (allocated here, never per step).
    init(network: Network, batch: Int, adam: AdamSettings) {
        self.network = network
        network.reserve(rows: batch)
        loader = BatchLoader(capacity: batch)
        logitGradient = FloatBuffer(count: batch * network.outputSize)
        optimizer = AdamOptimizer(parameterCount: network.trainableCount, settings: adam)
    }

    /// Trains on the images `order[range]` of `split`; returns the batch's mean loss, the rows whose
    /// arg-max matched the label (before the update) and the number of rows.
    func run(_ split: CIFAR10Split, order: [Int], range: Range<Int>) -> (loss: Double, correct: Int, rows: Int) {
        let rows = StepProfiler.measure("batch gather + uint8→float", flops: Double(range.count * CIFAR10.imageBytes)) {
            loader.load(split, indices: order, range: range)
        }
        let logits = network.forward(loader.inputs.pointer, rows: rows)
        let classes = network.outputSize
        let result = StepProfiler.measure("softmax cross-entropy", flops: Double(rows * classes * 6)) {
            SoftmaxCrossEntropy.evaluate(logits: logits, labels: loader.labels, rows: rows, classes: classes, gradient: logitGradient.pointer)
        }
        network.backward(input: loader.inputs.pointer, logitGradient: logitGradient.pointer, rows: rows)
        let count = network.trainableCount
        // Adam: about 12 operations per parameter (two moments, the root, the division, the update).
        StepProfiler.measure("Adam update", flops: Double(count * 12)) {
            optimizer.update(values: network.values.pointer, gradients: network.gradients.pointer, count: count)
        }
        return (result.loss, result.correct, rows)
    }
}
