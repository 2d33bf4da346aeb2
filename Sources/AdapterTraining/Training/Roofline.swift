import AdapterCore
import Foundation

/// Where a training step's time goes: each phase's share and GFLOP/s for the reference base MLP,
/// LoRA r4 and DoRA r4 (input axis) steps, next to the GFLOP/s of reference SGEMMs measured in
/// the same run (`adaptool roofline`, printed by `make bench`).
///
/// Runs on synthetic images (the arithmetic does not depend on the pixels); the phases come from
/// ``StepProfiler`` around the same ``TrainingStep`` that ``Trainer`` runs.
public enum Roofline {
    /// The reference recipe's shape: batch 64, 3072-128-256-10.
    static let batch = 64, hidden = [128, 256]
    /// Steps run before anything is timed (page faults, OpenBLAS buffers, caches).
    static let warmupSteps = 20

    /// The report as printed lines; `steps` timed steps per job (both unprofiled and profiled).
    public static func report(steps: Int, threads: Int = Trainer.defaultThreadCount) throws(TrainingError) -> [String] {
        guard steps >= 1 else { throw .invalidOption(name: "--steps", problem: "is \(steps); expected at least 1") }
        ParallelGEMM.configure(workers: threads)
        let data = SyntheticCIFAR10.make(trainCount: batch * 16, testCount: 0, seed: 1).train
        let base = Checkpoint.initialized(inputSize: CIFAR10.imageBytes, hidden: hidden, classes: CIFAR10.classCount, seed: 123)
        let fingerprint = base.computeFingerprint()
        var lines = ["roofline: batch \(batch), MLP 3072-\(hidden.map(String.init).joined(separator: "-"))-10, \(threads) workers, \(steps) steps per job"]
        lines += referenceGEMMs(threads: threads)
        let jobs: [(String, TrainableModel)] = [
            ("base", TrainableModel(checkpoint: base, trainable: true)),
            ("LoRA r4 all layers", try TrainableModel(base: base, adapter: AdapterRecipe(method: .lora)
                .initialAdapter(for: base, baseFingerprint: fingerprint, seed: 123), trainable: true)),
            ("DoRA r4 input axis", try TrainableModel(base: base, adapter: AdapterRecipe(method: .dora, normAxis: .input)
                .initialAdapter(for: base, baseFingerprint: fingerprint, seed: 123), trainable: true)),
        ]
        for (title, model) in jobs { lines += profile(title, model: model, data: data, steps: steps) }
        return lines
    }

    /// Times `steps` steps without the timers (the step time), then `steps` with them (the phases).
    private static func profile(_ title: String, model: TrainableModel, data: CIFAR10Split, steps: Int) -> [String] {
        let step = TrainingStep(network: model.network, batch: batch, adam: AdamSettings(learningRate: 0.005))
        var random = SeededRandom(seed: 7)
        var order = Array(0..<data.count)
        random.shuffle(&order)
        let batches = data.count / batch
        func run(_ count: Int) {
            for s in 0..<count { _ = step.run(data, order: order, range: (s % batches) * batch..<(s % batches + 1) * batch) }
        }
        run(warmupSteps)
        let start = DispatchTime.now().uptimeNanoseconds
        run(steps)
        let stepSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(steps)
        StepProfiler.start()
        run(steps)
        let phases = StepProfiler.stop()
        let profiled = phases.reduce(0) { $0 + $1.seconds } / Double(steps)
        let flops = phases.reduce(0) { $0 + $1.flops } / Double(steps)
        var lines = ["", String(format: "%@ step: %.3f ms unprofiled = %.0f images/s, %.1f MFLOP = %.1f GFLOP/s (timed phases sum to %.3f ms)",
                                title, stepSeconds * 1e3, Double(batch) / stepSeconds, flops / 1e6, flops / stepSeconds / 1e9, profiled * 1e3)]
        lines.append(row("phase", "ms/step", "GFLOP/s", "share"))
        for phase in phases {
            let seconds = phase.seconds / Double(steps)
            let rate = phase.flops > 0 ? String(format: "%.1f", phase.flops / phase.seconds / 1e9) : "-"
            lines.append(row(phase.name, String(format: "%.4f", seconds * 1e3), rate, String(format: "%.1f %%", 100 * seconds / profiled)))
        }
        return lines
    }

    private static func row(_ name: String, _ time: String, _ rate: String, _ share: String) -> String {
        let padded = name.count < 46 ? name + String(repeating: " ", count: 46 - name.count) : name
        return "  " + padded + " " + [time, rate, share].map { String(repeating: " ", count: max(0, 9 - $0.count)) + $0 }.joined(separator: " ")
    }

    /// Rounds over the reference products, each keeping its best figure: interleaved, so that other
    /// load on the machine falls on both ways of using the cores alike.
    static let referenceRounds = 3

    /// GFLOP/s of a large square SGEMM (both ways of using the cores) and of the batch-shaped products.
    private static func referenceGEMMs(threads: Int) -> [String] {
        let large = 2048, (rows, input, output) = (batch, CIFAR10.imageBytes, hidden[0])
        var square = 0.0, openBLAS = 0.0, forward = 0.0, weightGradient = 0.0, forwardOpenBLAS = 0.0, weightGradientOpenBLAS = 0.0
        for _ in 0..<referenceRounds {
            for own in [false, true] {
                // The engine's way: single-threaded OpenBLAS calls split over the workers; else OpenBLAS's own threads.
                if own { BLAS.setThreadCount(threads) } else { ParallelGEMM.configure(workers: threads) }
                let gemm: (BLAS.Transpose, BLAS.Transpose, Int, Int, Int, UnsafePointer<Float>, Int, UnsafePointer<Float>, Int,
                           UnsafeMutablePointer<Float>, Int) -> Void = { ta, tb, m, n, k, a, lda, b, ldb, c, ldc in
                    if own {
                        BLAS.gemm(ta, tb, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc)
                    } else {
                        ParallelGEMM.gemm(ta, tb, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc)
                    }
                }
                let big = gflops(m: large, n: large, k: large, repeats: 1) { gemm(.none, .none, large, large, large, $0, large, $1, large, $2, large) }
                let shaped = gflops(m: rows, n: output, k: input, repeats: 200) {
                    gemm(.none, .transposed, rows, output, input, $0, input, $1, input, $2, output)
                }
                let gradient = gflops(m: output, n: input, k: rows, repeats: 200) {
                    gemm(.transposed, .none, output, input, rows, $0, output, $1, input, $2, input)
                }
                if own {
                    (openBLAS, forwardOpenBLAS, weightGradientOpenBLAS) = (max(openBLAS, big), max(forwardOpenBLAS, shaped), max(weightGradientOpenBLAS, gradient))
                } else {
                    (square, forward, weightGradient) = (max(square, big), max(forward, shaped), max(weightGradient, gradient))
                }
            }
        }
        ParallelGEMM.configure(workers: threads)
        return [String(format: "reference SGEMM %d³: %.1f GFLOP/s split over %d single-threaded OpenBLAS calls (the engine's way), %.1f GFLOP/s OpenBLAS with %d threads",
                       large, square, threads, openBLAS, threads),
                String(format: "batch-shaped SGEMM: 64×3072 · (128×3072)ᵀ (fc1 forward) %.1f GFLOP/s, (64×128)ᵀ · 64×3072 (fc1 weight gradient) %.1f GFLOP/s",
                       forward, weightGradient),
                String(format: "  the same with OpenBLAS's own %d threads instead of the column split: %.1f and %.1f GFLOP/s",
                       threads, forwardOpenBLAS, weightGradientOpenBLAS)]
    }

    /// Best of `repeats` timings of `body` on random operands (GFLOP/s of an m×k by k×n product).
    private static func gflops(m: Int, n: Int, k: Int, repeats: Int,
                               _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> Double {
        var random = SeededRandom(seed: 3)
        let a = FloatBuffer((0..<(m * k)).map { _ in Float.random(in: -0.5..<0.5, using: &random) })
        let b = FloatBuffer((0..<(k * n)).map { _ in Float.random(in: -0.5..<0.5, using: &random) })
        let c = FloatBuffer(count: m * n)
        body(a.pointer, b.pointer, c.pointer)
        var best = Double.infinity
        // Short products are timed in groups so the clock's resolution does not matter.
        let group = max(1, repeats / 20), rounds = max(1, repeats / group)
        for _ in 0..<rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<group { body(a.pointer, b.pointer, c.pointer) }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(group))
        }
        return StepProfiler.gemmFlops(m: m, n: n, k: k) / best / 1e9
    }
}
