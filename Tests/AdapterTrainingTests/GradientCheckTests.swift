import AdapterCore
import AdapterTestSupport
import Testing
@testable import AdapterTraining

/// Every backward pass against finite differences of the independent float64 ``ReferenceMLP``.
struct GradientCheckTests {
    /// float32 analytic gradients vs float64 numeric ones: relative and absolute slack for float32 rounding.
    static let relativeTolerance = 2e-3, absoluteTolerance = 2e-4
    static let sizes = [7, 6, 5, 4]
    static let rows = 5

    private func batch(seed: UInt64) -> (inputs: [[Double]], labels: [Int]) {
        var random = SeededGenerator(seed: seed)
        let inputs = (0..<Self.rows).map { _ in random.floats(Self.sizes[0]).map(Double.init) }
        let labels = (0..<Self.rows).map { _ in Int.random(in: 0..<Self.sizes.last!, using: &random) }
        return (inputs, labels)
    }

    /// Runs the engine once and compares its gradients and logits with the reference.
    private func check(_ model: TrainableModel, reference: ReferenceMLP, detach: Bool = false, seed: UInt64 = 11) {
        let (inputs, labels) = batch(seed: seed)
        let network = model.network
        let flatInput = inputs.flatMap { $0.map(Float.init) }
        let labelBuffer = labels.map(Int32.init)
        let gradient = FloatBuffer(count: Self.rows * network.outputSize)
        let flat = reference.flatParameters()
        #expect(flat.count == network.trainableCount)
        flatInput.withUnsafeBufferPointer { x in
            labelBuffer.withUnsafeBufferPointer { y in
                let logits = network.forward(x.baseAddress!, rows: Self.rows)
                let expectedLogits = reference.logits(flat, inputs: inputs).flatMap { $0 }
                for (index, value) in expectedLogits.enumerated() { #expect(abs(Double(logits[index]) - value) < 1e-4) }
                let result = SoftmaxCrossEntropy.evaluate(logits: logits, labels: y.baseAddress!, rows: Self.rows, classes: network.outputSize, gradient: gradient.pointer)
                #expect(abs(result.loss - reference.loss(flat, inputs: inputs, labels: labels)) < 1e-5)
                network.backward(input: x.baseAddress!, logitGradient: gradient.pointer, rows: Self.rows)
            }
        }
        let numeric = reference.numericGradient(flat, inputs: inputs, labels: labels, detach: detach)
        var worst = 0.0
        for (index, expected) in numeric.enumerated() {
            let error = abs(Double(network.gradients.pointer[index]) - expected)
            worst = max(worst, error / (Self.absoluteTolerance + Self.relativeTolerance * abs(expected)))
        }
        #expect(worst <= 1, "worst gradient error is \(worst)× the tolerance")
        // The check can fail: a gradient that ignores a term must be caught.
        #expect(numeric.contains { abs($0) > 10 * Self.absoluteTolerance })
    }

    @Test func denseLayersAndCrossEntropy() {
        let base = Checkpoint.random(sizes: Self.sizes, seed: 1)
        check(TrainableModel(checkpoint: base, trainable: true), reference: ReferenceMLP(base: base, adapter: nil, trainsBase: true))
    }

    @Test func loraOnEveryLayer() throws {
        let base = Checkpoint.random(sizes: Self.sizes, seed: 2)
        let adapter = Adapter.random(for: base, method: .lora, rank: 2, scaling: 1.5, seed: 3)
        check(try TrainableModel(base: base, adapter: adapter, trainable: true), reference: ReferenceMLP(base: base, adapter: adapter, trainsBase: false))
    }

    @Test func loraOnSomeLayers() throws {
        let base = Checkpoint.random(sizes: Self.sizes, seed: 4)
        var adapter = Adapter.random(for: base, method: .lora, rank: 3, scaling: 0.7, seed: 5)
        adapter.layers.remove(at: 1)
        check(try TrainableModel(base: base, adapter: adapter, trainable: true), reference: ReferenceMLP(base: base, adapter: adapter, trainsBase: false))
    }

    @Test func loraOnUpperLayersOnly() throws {
        // Back-propagation stops at the lowest adapted layer; the frozen first layer gets no gradient pass.
        let base = Checkpoint.random(sizes: Self.sizes, seed: 8)
        var adapter = Adapter.random(for: base, method: .lora, rank: 2, scaling: 1.1, seed: 9)
        adapter.layers.removeFirst()
        check(try TrainableModel(base: base, adapter: adapter, trainable: true), reference: ReferenceMLP(base: base, adapter: adapter, trainsBase: false))
    }

    @Test(arguments: [NormAxis.output, .input], [false, true])
    func doraThroughTheNorm(axis: NormAxis, detach: Bool) throws {
        let base = Checkpoint.random(sizes: Self.sizes, seed: 6)
        let adapter = Adapter.random(for: base, method: .dora, rank: 2, scaling: 1.3, normAxis: axis, seed: 7)
        check(try TrainableModel(base: base, adapter: adapter, trainable: true, detachNorm: detach),
              reference: ReferenceMLP(base: base, adapter: adapter, trainsBase: false), detach: detach)
    }
}
