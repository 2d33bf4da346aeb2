import AdapterKit
import ArgumentParser

/// The options LoRA and DoRA training share.
struct AdapterTrainingOptions: ParsableArguments {
    @Option(help: "The base checkpoint (frozen).")
    var base: String
    @Option(help: "Rank of A and B.")
    var rank = 4
    @Option(help: "PEFT-style alpha: scaling = alpha / rank (give --alpha or --scaling).")
    var alpha: Double?
    @Option(help: "The factor ΔW = scaling · B · A (default 8, the reference notebook's).")
    var scaling: Double?
    @Option(help: "Layers to adapt: all, or names separated by commas.")
    var targets = "all"
    @Option(name: .customLong("init"), help: "How A is drawn: gaussian (N(0, 1/rank), the reference) or kaiming (PEFT).")
    var initialization: LowRankInitialization = .gaussian

    func validate() throws {
        guard rank >= 1 else { throw ValidationError("--rank must be at least 1") }
        if alpha != nil, scaling != nil { throw ValidationError("give --alpha or --scaling, not both") }
        if let value = alpha ?? scaling, !value.isFinite { throw ValidationError("--alpha/--scaling must be finite") }
        // The adapter records both; alpha = scaling · rank overflows for a huge --scaling, and the writer refuses it after training.
        let derived = recipe(.lora)
        guard derived.alpha.isFinite, derived.scaling.isFinite else {
            throw ValidationError("--scaling times --rank must stay finite (alpha = scaling · rank is stored with the adapter)")
        }
    }

    func recipe(_ method: AdapterMethod, normAxis: NormAxis = .output, detachNorm: Bool = false) -> AdapterRecipe {
        let scalingValue = scaling ?? alpha.map { $0 / Double(rank) } ?? 8
        let names = targets == "all" ? nil : targets.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return AdapterRecipe(method: method, rank: rank, alpha: alpha ?? scalingValue * Double(rank), scaling: scalingValue, targets: names,
                             initialization: initialization, normAxis: normAxis, detachNorm: detachNorm)
    }

    /// Trains and writes the adapter.
    func run(_ recipe: AdapterRecipe, dataOptions: DataOptions, training: TrainingOptions, output: OutputOptions) throws {
        // A v2 base gets a v2 adapter recording its v2 fingerprint; a v1 base a v1 adapter, as before.
        let loaded = try MLPView.checkpoint(at: base), isV2 = FormatProbe.probe(path: base)?.version == FormatV2.version
        try training.run(recipe.method.rawValue, data: dataOptions, output: output, defaultEpochs: 10,
                         train: { data, settings, testEachEpoch, progress in
                             try TrainingRun.trainAdapter(base: loaded.checkpoint, baseFingerprint: loaded.fingerprint, recipe: recipe, data: data,
                                                          settings: settings, testEachEpoch: testEachEpoch, progress: progress)
                         },
                         write: { adapter in
                             if isV2 {
                                 try FormatUpgrade.write(adapter, baseFingerprint: loaded.fingerprint, to: output.output, options: output.writeOptions)
                             } else {
                                 try adapter.write(to: output.output, options: output.writeOptions)
                             }
                         })
    }
}

/// `adaptool train lora`.
struct TrainLoRACommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(commandName: "lora", abstract: "Train a LoRA adapter on a frozen base checkpoint.")

    @OptionGroup var adapter: AdapterTrainingOptions
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var training: TrainingOptions
    @OptionGroup var output: OutputOptions

    func execute() throws {
        try adapter.run(adapter.recipe(.lora), dataOptions: dataOptions, training: training, output: output)
    }
}

/// `adaptool train dora`.
struct TrainDoRACommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(commandName: "dora", abstract: "Train a DoRA adapter (magnitude and direction) on a frozen base checkpoint.")

    @OptionGroup var adapter: AdapterTrainingOptions
    @Option(help: "Norm per output row (the DoRA paper, PEFT) or per input column (the reference notebook).")
    var normAxis: NormAxis = .output
    @Flag(help: "Treat ‖V‖ as a constant in the backward pass (the DoRA paper's cheaper variant).")
    var detachNorm = false
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var training: TrainingOptions
    @OptionGroup var output: OutputOptions

    func execute() throws {
        try adapter.run(adapter.recipe(.dora, normAxis: normAxis, detachNorm: detachNorm), dataOptions: dataOptions, training: training, output: output)
    }
}
