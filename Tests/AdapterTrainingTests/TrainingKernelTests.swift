import AdapterCore
import AdapterTestSupport
import CTrainingKernels
import Foundation
import Testing
@testable import AdapterTraining

/// The fast element-wise kernels of a training step (Adam, byte conversion, ReLU) against
/// independent float64 and scalar references, and the step profiler's bookkeeping (determinism
/// of whole runs is checked through the CLI, in a process of its own: TrainingSpeedCLITests).
struct TrainingKernelTests {
    /// Adam over enough parameters to use every vector width, the scalar tail and the split over
    /// workers, against PyTorch's update in float64.
    @Test func adamKernelMatchesFloat64OnALargeOddBuffer() {
        let count = (1 << 16) + 1037, steps = 4
        ParallelGEMM.configure(workers: 2)
        var random = SeededGenerator(seed: 21)
        let start = random.floats(count), gradients = (0..<steps).map { _ in random.floats(count, in: -3...3) }
        let optimizer = AdamOptimizer(parameterCount: count, settings: AdamSettings(learningRate: 0.01))
        let values = FloatBuffer(start)
        var expected = start.map(Double.init), m = [Double](repeating: 0, count: count), v = m
        for (step, gradient) in gradients.enumerated() {
            gradient.withUnsafeBufferPointer { optimizer.update(values: values.pointer, gradients: $0.baseAddress!, count: count) }
            let correction1 = 1 - pow(0.9, Double(step + 1)), correction2 = 1 - pow(0.999, Double(step + 1))
            for i in 0..<count {
                let g = Double(gradient[i])
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                expected[i] -= 0.01 * (m[i] / correction1) / ((v[i] / correction2).squareRoot() + 1e-8)
            }
        }
        let worst = (0..<count).map { abs(Double(values.pointer[$0]) - expected[$0]) }.max() ?? 0
        #expect(worst < 1e-5, "worst Adam error \(worst)")
        // The check can fail: four steps of about lr each moved nearly every value.
        #expect((0..<count).filter { abs(Double(values.pointer[$0]) - Double(start[$0])) > 1e-3 }.count > count * 9 / 10)
    }

    /// The vector kernel rounds like the scalar float32 expression (no fused multiply-add).
    @Test func adamKernelIsBitIdenticalToTheScalarFloat32Expression() {
        let count = 1000
        var random = SeededGenerator(seed: 5)
        var values = random.floats(count), m = random.floats(count, in: -0.1...0.1), v = random.floats(count, in: 0...0.01)
        let gradients = random.floats(count, in: -2...2)
        var (sv, sm, svv) = (values, m, v)
        let (b1, b2, size, root, epsilon): (Float, Float, Float, Float, Float) = (0.9, 0.999, 0.0123, 1.37, 1e-8)
        adaptool_adam_update(&values, gradients, &m, &v, count, b1, b2, size, root, epsilon)
        for i in 0..<count {
            sm[i] = b1 * sm[i] + (1 - b1) * gradients[i]
            svv[i] = b2 * svv[i] + (1 - b2) * gradients[i] * gradients[i]
            sv[i] = sv[i] - size * sm[i] / (svv[i].squareRoot() * root + epsilon)
        }
        #expect(values == sv && m == sm && v == svv)
    }

    /// Every byte value, at every offset of a vector, against (x/255 − 0.5)/0.5 in float64.
    @Test func byteConversionMatchesTheNormalisation() {
        let bytes = (0..<777).map { UInt8(($0 * 37 + 11) % 256) }
        var target = [Float](repeating: .nan, count: bytes.count)
        adaptool_normalize_bytes(bytes, &target, bytes.count)
        for (byte, value) in zip(bytes, target) {
            #expect(abs(Double(value) - (Double(byte) / 255 - 0.5) / 0.5) < 1e-6)
            #expect(value == (Float(byte) / 255 - 0.5) / 0.5)
        }
        #expect(Set(bytes).count == 256)
    }

    /// ReLU and its mask against plain loops, for lengths around the vector width.
    @Test func reluKernelsMatchPlainLoops() {
        var random = SeededGenerator(seed: 9)
        for count in [0, 1, 7, 8, 9, 31, 64, 67] {
            let x = random.floats(count), gradient = random.floats(count)
            let y = FloatBuffer(x), dx = FloatBuffer(gradient)
            Kernels.relu(y.pointer, count: count)
            #expect(y.array == x.map { $0 < 0 ? 0 : $0 })
            Kernels.reluMask(dx.pointer, activation: y.pointer, count: count)
            #expect(dx.array == zip(x, gradient).map { $0 <= 0 ? 0 : $1 })
        }
    }

    /// With the profiler on, a step records every GEMM with its flops and trains exactly as with it off.
    @Test func profiledStepsRecordPhasesAndChangeNothing() throws {
        let data = SyntheticCIFAR10.make(trainCount: 64, testCount: 0, seed: 2).train
        // Small enough that no product is split over workers: other tests running at the same time
        // change the worker and OpenBLAS thread counts, which may change rounding, not results.
        let base = Checkpoint.initialized(inputSize: CIFAR10.imageBytes, hidden: [8, 8], classes: 10, seed: 4)
        ParallelGEMM.configure(workers: 2)
        func twoSteps(profiled: Bool) -> ([Float], [StepProfiler.Phase]) {
            let model = TrainableModel(checkpoint: base, trainable: true)
            let step = TrainingStep(network: model.network, batch: 32, adam: AdamSettings(learningRate: 0.01))
            if profiled { StepProfiler.start() }
            for s in 0..<2 { _ = step.run(data, order: Array(0..<64), range: s * 32..<(s + 1) * 32) }
            let phases = profiled ? StepProfiler.stop() : []
            return (model.network.values.array, phases)
        }
        let (plain, none) = twoSteps(profiled: false)
        let (profiled, phases) = twoSteps(profiled: true)
        #expect(zip(plain, profiled).allSatisfy { abs($0 - $1) <= 1e-5 } && none.isEmpty)
        let gemm = phases.filter { $0.name.contains("GEMM") }.reduce(0) { $0 + $1.flops }
        // Forward, weight gradient for every layer, input gradient above the first: 2 · rows · in · out each, two steps.
        let products: Int = 2 * (3072 * 8 + 8 * 8 + 8 * 10) + 8 * 8 + 8 * 10
        let expected = 2.0 * 2 * 32 * Double(products)
        #expect(gemm == expected)
        #expect(phases.contains { $0.name == "Adam update" && $0.calls == 2 } && phases.contains { $0.name == "fc1 backward GEMM dW = dyᵀ·x" })
        #expect(!StepProfiler.isEnabled)
    }
}
