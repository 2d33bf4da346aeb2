import AdapterCore
import Foundation

/// How long and how to train.
public struct TrainingSettings: Sendable, Codable, Equatable {
    /// Passes over the training set.
    public var epochs: Int
    /// Images per step (the last step of an epoch may be smaller).
    public var batchSize: Int
    /// Seeds the shuffles.
    public var seed: UInt64
    /// The optimiser.
    public var adam: AdamSettings

    /// The reference notebook's settings by default (Adam 0.005, batch 64).
    public init(epochs: Int, batchSize: Int = 64, learningRate: Double = 0.005, seed: UInt64 = 123) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.seed = seed
        adam = AdamSettings(learningRate: learningRate)
    }
}

/// What one epoch achieved.
public struct EpochSummary: Sendable, Codable, Equatable {
    /// 1-based epoch number.
    public var epoch: Int
    /// Mean training loss over the epoch's batches (weighted by batch size).
    public var loss: Double
    /// Training accuracy over the epoch, in percent (measured before each step's update).
    public var accuracy: Double
    /// Wall time of the epoch.
    public var seconds: Double
    /// Training images per second.
    public var samplesPerSecond: Double
    /// Mean loss on the test split after the epoch, when it was evaluated (absent in older records).
    public var testLoss: Double? = nil
    /// Accuracy on the test split after the epoch, in percent, when it was evaluated.
    public var testAccuracy: Double? = nil
}

/// A snapshot for progress displays, reported after every step.
public struct TrainingProgress: Sendable {
    /// 1-based epoch and the total.
    public var epoch: Int, epochs: Int
    /// Steps done in this epoch and steps per epoch.
    public var batch: Int, batches: Int
    /// Running mean loss and accuracy (percent) of this epoch so far.
    public var loss: Double, accuracy: Double
    /// Images per second so far over the whole run.
    public var samplesPerSecond: Double
    /// Estimated seconds until the run ends.
    public var remainingSeconds: Double
    /// Set on the last step of an epoch, with that epoch's summary.
    public var finishedEpoch: EpochSummary?
}

/// Mini-batch training with softmax cross-entropy and Adam.
public enum Trainer {
    /// BLAS threads: `ADAPTOOL_THREADS` when set, else the machine's cores (at most 4: the products
    /// are too small to gain from more).
    public static var defaultThreadCount: Int {
        if let text = ProcessInfo.processInfo.environment["ADAPTOOL_THREADS"], let count = Int(text), count >= 1 { return count }
        return min(4, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Trains `model` on `split`, calling `progress` after every step, and returns the epoch summaries.
    /// With a non-empty `testSplit`, the model is also evaluated on it after every epoch (its loss
    /// and accuracy go into the summary; this costs about 10–20 % of an epoch, see README).
    public static func train(_ model: TrainableModel, on split: CIFAR10Split, settings: TrainingSettings, testSplit: CIFAR10Split? = nil,
                             progress: (TrainingProgress) -> Void = { _ in }) throws(TrainingError) -> [EpochSummary] {
        guard settings.epochs >= 1 else { throw .invalidOption(name: "--epochs", problem: "is \(settings.epochs); expected at least 1") }
        guard settings.batchSize >= 1 else { throw .invalidOption(name: "--batch-size", problem: "is \(settings.batchSize); expected at least 1") }
        guard settings.adam.learningRate > 0, settings.adam.learningRate.isFinite else {
            throw .invalidOption(name: "--lr", problem: "is \(settings.adam.learningRate); expected a positive number")
        }
        guard split.count > 0 else { throw .invalidOption(name: "--data", problem: "the training split holds no images") }
        guard model.trainableParameterCount > 0 else { throw .incompatibleModel(problem: "the model has nothing to train") }
        ParallelGEMM.configure(workers: defaultThreadCount)
        let batch = min(settings.batchSize, split.count)
        let trainingStep = TrainingStep(network: model.network, batch: batch, adam: settings.adam)
        var random = SeededRandom(seed: settings.seed)
        var order = Array(0..<split.count)
        let batches = (split.count + batch - 1) / batch
        let start = Date()
        var summaries: [EpochSummary] = []
        for epoch in 1...settings.epochs {
            random.shuffle(&order)
            let epochStart = Date()
            var lossSum = 0.0, correct = 0, seen = 0
            for step in 0..<batches {
                let result = trainingStep.run(split, order: order, range: (step * batch)..<min(split.count, (step + 1) * batch))
                lossSum += result.loss * Double(result.rows)
                correct += result.correct
                seen += result.rows
                let elapsed = Date().timeIntervalSince(start)
                // In Double: epochs × images overflows Int for a huge --epochs (a legal, endless run).
                let done = Double(epoch - 1) * Double(split.count) + Double(seen), total = Double(settings.epochs) * Double(split.count)
                var snapshot = TrainingProgress(epoch: epoch, epochs: settings.epochs, batch: step + 1, batches: batches,
                                                loss: lossSum / Double(seen), accuracy: 100 * Double(correct) / Double(seen),
                                                samplesPerSecond: done / max(elapsed, 1e-9),
                                                remainingSeconds: elapsed / done * (total - done))
                if step == batches - 1 {
                    let seconds = Date().timeIntervalSince(epochStart)
                    var summary = EpochSummary(epoch: epoch, loss: snapshot.loss, accuracy: snapshot.accuracy, seconds: seconds,
                                               samplesPerSecond: Double(seen) / max(seconds, 1e-9))
                    if let testSplit, testSplit.count > 0 {
                        // After the epoch's timing: the test pass is not training time.
                        let report = Evaluator.evaluate(model, on: testSplit, classNames: []).report
                        (summary.testLoss, summary.testAccuracy) = (report.loss, report.accuracy)
                    }
                    summaries.append(summary)
                    snapshot.finishedEpoch = summary
                }
                progress(snapshot)
            }
            guard lossSum.isFinite else { throw .incompatibleModel(problem: "training diverged in epoch \(epoch) (loss is not finite); try a smaller --lr") }
        }
        return summaries
    }
}
