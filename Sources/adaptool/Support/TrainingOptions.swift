import AdapterKit
import ArgumentParser
import Foundation

/// `--epochs`, `--lr`, `--batch-size`, `--seed`, `--quiet`, `--metrics`, `--plot`: shared by every `train` job.
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

    @Option(help: "Also write per-epoch loss and accuracy (train and test) to this CSV file.")
    var metrics: String?

    @Option(help: "Also draw loss and accuracy per epoch (train and test) as an SVG file.")
    var plot: String?

    func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--lr must be a positive number") }
    }

    /// The library's settings, with `defaultEpochs` when `--epochs` is absent.
    func settings(defaultEpochs: Int) -> TrainingSettings {
        TrainingSettings(epochs: epochs ?? defaultEpochs, batchSize: batchSize, learningRate: learningRate, seed: seed)
    }

    /// Refuses a batch too large for memory before any data is loaded: the smallest network
    /// (input → output) already holds the batch's activations.
    func checkBatchSize() throws {
        try TrainingMemory.check(widths: [CIFAR10.imageBytes, CIFAR10.classCount], batchSize: batchSize, option: "--batch-size")
    }

    /// Whether to evaluate the test split after every epoch: only for `--metrics` or `--plot`, as
    /// it costs about 10–20 % of an epoch (measured on the reference MLP, see README).
    var testEachEpoch: Bool { metrics != nil || plot != nil }

    /// One training job, the same for every `train` subcommand: refuse taken outputs (model,
    /// `--metrics`, `--plot`) before any work, load the data, show progress, train (evaluating the
    /// test split after each epoch when ``testEachEpoch``), then write the model, the metrics, the
    /// plot and the summary.
    func run<Model>(_ label: String, data dataOptions: DataOptions, output: OutputOptions, defaultEpochs: Int,
                    train: (CIFAR10Dataset, TrainingSettings, Bool, (TrainingProgress) -> Void) throws -> (Model, TrainingRecord),
                    write: (Model) throws -> Void) throws {
        try output.requireFree([metrics, plot].compactMap { $0 })
        try checkBatchSize()
        let data = try dataOptions.load()
        let display = ProgressDisplay(label: label, quiet: quiet)
        let (model, record) = try train(data, settings(defaultEpochs: defaultEpochs), testEachEpoch, display.update)
        try write(model)
        try writeMetrics(record, overwrite: output.force)
        if let plot { try record.plot.write(to: plot, overwrite: output.force) }
        print(TrainingReport.line(output: output.output, record: record))
    }

    /// Writes the `--metrics` CSV, if asked for, atomically.
    private func writeMetrics(_ record: TrainingRecord, overwrite: Bool) throws {
        guard let metrics else { return }
        try AtomicOutput.write(text: record.metricsCSV, to: metrics, overwrite: overwrite)
    }
}
