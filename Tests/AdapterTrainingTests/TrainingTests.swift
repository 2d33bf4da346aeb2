import AdapterCore
import AdapterTestSupport
import Foundation
import Testing
@testable import AdapterTraining

/// Short runs on synthetic data, initialisation and the optimiser.
struct TrainingTests {
    static let data = SyntheticCIFAR10.make(trainCount: 1_000, testCount: 300, seed: 3)

    @Test func baseTrainingReducesLossAndBeatsChance() throws {
        let (checkpoint, record) = try TrainingRun.trainBase(hidden: [32], data: Self.data, settings: TrainingSettings(epochs: 3, learningRate: 0.002, seed: 1))
        #expect(record.epochs.count == 3)
        #expect(record.epochs[2].loss < record.epochs[0].loss)
        #expect((record.testAccuracy ?? 0) > 30, "chance is 10 %")
        #expect(checkpoint.metadata.inputShape == [3, 32, 32] && checkpoint.metadata.classNames?.count == 10)
        #expect(checkpoint.metadata.provenance?.contains("\"epochs\"") == true)
    }

    @Test(arguments: [AdapterMethod.lora, .dora])
    func adapterTrainingImprovesAWeakBase(method: AdapterMethod) throws {
        let (base, baseRecord) = try TrainingRun.trainBase(hidden: [16], data: Self.data, settings: TrainingSettings(epochs: 1, learningRate: 0.0005, seed: 2))
        let recipe = AdapterRecipe(method: method, rank: 2, scaling: 2, initialization: .kaiming, normAxis: .input)
        let (adapter, record) = try TrainingRun.trainAdapter(base: base, recipe: recipe, data: Self.data, settings: TrainingSettings(epochs: 3, learningRate: 0.002, seed: 2))
        #expect(record.epochs[2].loss < record.epochs[0].loss)
        #expect((record.testAccuracy ?? 0) > (baseRecord.testAccuracy ?? 100))
        #expect(adapter.baseFingerprint == base.computeFingerprint())
        #expect(adapter.layers.allSatisfy { $0.b.maxAbsoluteValue > 0 })
        #expect(record.trainableParameters == adapter.parameterCount)
    }

    @Test(arguments: [NormAxis.output, .input])
    func freshAdaptersStartAtTheBaseModel(axis: NormAxis) throws {
        let base = Checkpoint.initialized(inputSize: CIFAR10.imageBytes, hidden: [8], classes: 10, seed: 5)
        let split = Self.data.test
        let expected = Evaluator.evaluate(TrainableModel(checkpoint: base, trainable: false), on: split, classNames: [], keepLogits: true).logits ?? []
        for method in AdapterMethod.allCases {
            let adapter = try AdapterRecipe(method: method, normAxis: axis).initialAdapter(for: base, baseFingerprint: base.computeFingerprint(), seed: 1)
            let logits = Evaluator.evaluate(try TrainableModel(base: base, adapter: adapter, trainable: false), on: split, classNames: [], keepLogits: true).logits ?? []
            #expect(Evaluator.compare(unmerged: expected, merged: logits, classes: 10).maxDifference < 1e-4)
        }
    }

    @Test func initialisationFollowsPyTorchAndTheNotebook() throws {
        let base = Checkpoint.initialized(inputSize: 400, hidden: [300], classes: 10, seed: 9)
        let bound = Float(1 / 400.0.squareRoot())
        #expect(base.layers[0].weight.maxAbsoluteValue <= bound && base.layers[0].weight.maxAbsoluteValue > 0.95 * bound)
        let adapter = try AdapterRecipe(method: .lora, rank: 4).initialAdapter(for: base, baseFingerprint: String(repeating: "0", count: 64), seed: 1)
        let a = adapter.layers[0].a.values.map(Double.init)
        let variance = a.reduce(0) { $0 + $1 * $1 } / Double(a.count)
        #expect(abs(variance - 0.25) < 0.02, "A ~ N(0, 1/rank)")
        #expect(adapter.layers[0].b.maxAbsoluteValue == 0)
        #expect(throws: TrainingError.self) { try AdapterRecipe(method: .lora, targets: ["nope"]).initialAdapter(for: base, baseFingerprint: "", seed: 1) }
    }

    @Test func adamMatchesPyTorchsUpdate() {
        let settings = AdamSettings(learningRate: 0.1)
        let optimizer = AdamOptimizer(parameterCount: 2, settings: settings)
        let values = FloatBuffer([1, -2])
        var m = [0.0, 0.0], v = [0.0, 0.0], expected = [1.0, -2.0]
        for (step, gradient) in [[0.5, -3.0], [0.1, 2.0], [-1.0, 0.25]].enumerated() {
            let g = gradient.map(Float.init)
            g.withUnsafeBufferPointer { optimizer.update(values: values.pointer, gradients: $0.baseAddress!, count: 2) }
            for i in 0..<2 {
                m[i] = 0.9 * m[i] + 0.1 * gradient[i]
                v[i] = 0.999 * v[i] + 0.001 * gradient[i] * gradient[i]
                let mHat = m[i] / (1 - pow(0.9, Double(step + 1))), vHat = v[i] / (1 - pow(0.999, Double(step + 1)))
                expected[i] -= 0.1 * mHat / (vHat.squareRoot() + 1e-8)
                #expect(abs(Double(values.pointer[i]) - expected[i]) < 1e-5)
            }
        }
    }
}
