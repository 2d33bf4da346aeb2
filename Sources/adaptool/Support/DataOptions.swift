import AdapterKit
import ArgumentParser
import Foundation

/// `--data DIR` / `--synthetic`: where the CIFAR-10 images come from.
struct DataOptions: ParsableArguments {
    @Option(help: "CIFAR-10 binary folder (data_batch_*.bin, test_batch*.bin); defaults to $CIFAR10_DIR.")
    var data: String?

    @Flag(help: "Use deterministic synthetic CIFAR-format data (10,000 train / 2,000 test images) instead of real images.")
    var synthetic = false

    func validate() throws {
        if synthetic, data != nil { throw ValidationError("--data and --synthetic are mutually exclusive") }
    }

    /// Images per synthetic split, and the seed that fixes them (train and eval must see the same data).
    static let syntheticTrainCount = 10_000, syntheticTestCount = 2_000, syntheticSeed: UInt64 = 2024

    /// Loads the data (only the test split when `testOnly`).
    func load(testOnly: Bool = false) throws -> CIFAR10Dataset {
        if synthetic {
            return SyntheticCIFAR10.make(trainCount: testOnly ? 0 : Self.syntheticTrainCount, testCount: Self.syntheticTestCount, seed: Self.syntheticSeed)
        }
        guard let directory = data ?? ProcessInfo.processInfo.environment["CIFAR10_DIR"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw ValidationError("no data: pass --data DIR (a CIFAR-10 binary folder), set CIFAR10_DIR, or use --synthetic")
        }
        return try CIFAR10.load(directory: directory, parts: testOnly ? .test : .both)
    }
}

/// `--epochs`, `--lr`, `--batch-size`, `--seed`, `--quiet`, `--metrics`: shared by every `train` job.
struct TrainingOptions: ParsableArguments {
    @Option(help: "Passes over the training set (default: 2 for base and full, 10 for adapters).")
    var epochs: Int?

    @Option(name: .customLong("lr"), help: "Adam learning rate.")
    var learningRate = 0.005

    @Option(help: "Images per step.")
    var batchSize = 64

    @Option(help: "Seed of the initialisation and the shuffles.")
    var seed: UInt64 = 123

    @Flag(help: "Print no progress.")
    var quiet = false

    @Option(help: "Also write per-epoch loss and accuracy to this CSV file.")
    var metrics: String?

    func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--lr must be a positive number") }
    }

    /// The library's settings, with `defaultEpochs` when `--epochs` is absent.
    func settings(defaultEpochs: Int) -> TrainingSettings {
        TrainingSettings(epochs: epochs ?? defaultEpochs, batchSize: batchSize, learningRate: learningRate, seed: seed)
    }

    /// Writes the `--metrics` CSV, if asked for, atomically.
    func writeMetrics(_ record: TrainingRecord, overwrite: Bool) throws {
        guard let metrics else { return }
        let output = try AtomicOutput(destination: metrics, overwrite: overwrite)
        do { try record.metricsCSV.write(toFile: output.temporaryPath, atomically: false, encoding: .utf8) } catch {
            throw FormatError.io(path: metrics, problem: "cannot be written (\(error.localizedDescription))")
        }
        try output.commit()
    }
}
