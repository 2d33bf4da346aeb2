import AdapterKit
import ArgumentParser

/// `adaptool train`: one subcommand per kind of training.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a base MLP, a LoRA or DoRA adapter, or a full fine-tune on CIFAR-10.",
        subcommands: [TrainBaseCommand.self, TrainLoRACommand.self, TrainDoRACommand.self, TrainFullCommand.self])
}

/// `adaptool train base`.
struct TrainBaseCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(commandName: "base", abstract: "Train a fresh MLP 3072 → hidden… → 10.")

    @OptionGroup var dataOptions: DataOptions
    @Option(help: "Hidden layer sizes, comma-separated.")
    var hidden = "128,256"
    @OptionGroup var training: TrainingOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "The checkpoint's format: v2 (named tensors, architecture mlp; the default) or v1 (the first release's layout). Adapters trained on it follow its format.")
    var format: CheckpointFormat = .v2

    func validate() throws { _ = try Self.sizes(hidden) }

    static func sizes(_ text: String) throws -> [Int] {
        let sizes = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) >= 1 }) else { throw ValidationError("--hidden must list positive sizes, e.g. 128,256") }
        return sizes.compactMap { $0 }
    }

    func execute() throws {
        let sizes = try Self.sizes(hidden)
        // Before the data is loaded: a size that cannot be allocated is refused at once.
        try training.checkBatchSize()
        try TrainingMemory.check(widths: [CIFAR10.imageBytes] + sizes + [CIFAR10.classCount], batchSize: training.batchSize, option: "--hidden")
        try training.run("base", data: dataOptions, output: output, defaultEpochs: 2,
                         train: { data, settings, testEachEpoch, progress in
                             try TrainingRun.trainBase(hidden: sizes, data: data, settings: settings, testEachEpoch: testEachEpoch, progress: progress)
                         },
                         write: { checkpoint in
                             switch format {
                             case .v2: try FormatUpgrade.write(checkpoint, to: output.output, options: output.writeOptions)
                             case .v1: try checkpoint.write(to: output.output, options: output.writeOptions)
                             }
                         })
    }
}

/// Which checkpoint format `train base` writes.
enum CheckpointFormat: String, ExpressibleByArgument, CaseIterable {
    case v1, v2
}

/// `adaptool train full`.
struct TrainFullCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(commandName: "full", abstract: "Fine-tune every weight of a base checkpoint (the baseline adapters are compared with).")

    @Option(help: "The base checkpoint to start from.")
    var base: String
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var training: TrainingOptions
    @OptionGroup var output: OutputOptions

    func execute() throws {
        // A v2 base is fine-tuned into a v2 checkpoint, a v1 base into a v1 checkpoint.
        let start = try MLPView.checkpoint(at: base).checkpoint, isV2 = FormatProbe.probe(path: base)?.version == FormatV2.version
        try training.run("full", data: dataOptions, output: output, defaultEpochs: 2,
                         train: { data, settings, testEachEpoch, progress in
                             try TrainingRun.trainFull(base: start, data: data, settings: settings, testEachEpoch: testEachEpoch, progress: progress)
                         },
                         write: { checkpoint in
                             if isV2 {
                                 try FormatUpgrade.write(checkpoint, to: output.output, options: output.writeOptions)
                             } else {
                                 try checkpoint.write(to: output.output, options: output.writeOptions)
                             }
                         })
    }
}

/// The one-line summary printed on stdout after training.
enum TrainingReport {
    static func line(output: String, record: TrainingRecord) -> String {
        let accuracy = record.testAccuracy.map { String(format: ", test accuracy %.2f %%", $0) } ?? ""
        let epochs = record.epochs.count == 1 ? "1 epoch" : "\(record.epochs.count) epochs"
        return String(format: "wrote %@: %@, %d trainable parameters, %@ of %d images in %.2f s%@",
                      output, record.method, record.trainableParameters, epochs, record.trainImages, record.trainingSeconds, accuracy)
    }
}
