import AdapterCore
import Foundation

/// The `adaptool train` jobs as library calls: build the model, train, evaluate on the test split
/// and return the result with its ``TrainingRecord`` (already stored in its provenance).
/// `testEachEpoch` also evaluates the test split after every epoch (``EpochSummary/testLoss`` and
/// ``EpochSummary/testAccuracy``, for curves): about 10–20 % more time on the reference MLP.
public enum TrainingRun {
    /// The metadata every trained checkpoint carries (input shape, normalisation, class names).
    public static func metadata(classNames: [String], provenance: String?) -> CheckpointMetadata {
        CheckpointMetadata(inputShape: CIFAR10.inputShape, normalizationMean: CIFAR10.normalizationMean,
                           normalizationStd: CIFAR10.normalizationStd, classNames: classNames,
                           createdBy: FormatV1.toolVersion, provenance: provenance)
    }

    /// Trains a fresh MLP `3072 → hidden… → 10`.
    public static func trainBase(hidden: [Int], data: CIFAR10Dataset, settings: TrainingSettings, testEachEpoch: Bool = false,
                                 progress: (TrainingProgress) -> Void = { _ in }) throws(TrainingError) -> (Checkpoint, TrainingRecord) {
        guard !hidden.isEmpty, hidden.allSatisfy({ $0 >= 1 }) else {
            throw .invalidOption(name: "--hidden", problem: "is \(hidden); expected positive layer sizes such as 128,256")
        }
        try TrainingMemory.check(widths: [CIFAR10.imageBytes] + hidden + [CIFAR10.classCount],
                                 batchSize: min(settings.batchSize, max(data.train.count, 1)), option: "--hidden")
        let initial = Checkpoint.initialized(inputSize: CIFAR10.imageBytes, hidden: hidden, classes: CIFAR10.classCount, seed: settings.seed,
                                             metadata: metadata(classNames: data.classNames, provenance: nil))
        var (checkpoint, record) = try trainDense(initial, method: "base", baseFingerprint: nil, data: data, settings: settings,
                                               testEachEpoch: testEachEpoch, progress: progress)
        record.hidden = hidden
        checkpoint.metadata.provenance = record.json
        return (checkpoint, record)
    }

    /// Fine-tunes every weight and bias of `base`.
    public static func trainFull(base: Checkpoint, data: CIFAR10Dataset, settings: TrainingSettings, testEachEpoch: Bool = false,
                                 progress: (TrainingProgress) -> Void = { _ in }) throws(TrainingError) -> (Checkpoint, TrainingRecord) {
        var start = base
        start.metadata = metadata(classNames: base.metadata.classNames ?? data.classNames, provenance: nil)
        return try trainDense(start, method: "full", baseFingerprint: base.computeFingerprint(), data: data, settings: settings,
                              testEachEpoch: testEachEpoch, progress: progress)
    }

    private static func trainDense(_ start: Checkpoint, method: String, baseFingerprint: String?, data: CIFAR10Dataset, settings: TrainingSettings,
                                   testEachEpoch: Bool,
                                   progress: (TrainingProgress) -> Void) throws(TrainingError) -> (Checkpoint, TrainingRecord) {
        let model = TrainableModel(checkpoint: start, trainable: true)
        try model.checkFits(classCount: CIFAR10.classCount)
        var record = try train(model, method: method, data: data, settings: settings, testEachEpoch: testEachEpoch, progress: progress)
        record.baseFingerprint = baseFingerprint
        var checkpoint = model.checkpoint
        checkpoint.metadata.provenance = record.json
        return (checkpoint, record)
    }

    /// Trains a LoRA or DoRA adapter on the frozen `base`.
    public static func trainAdapter(base: Checkpoint, baseFingerprint: String? = nil, recipe: AdapterRecipe, data: CIFAR10Dataset,
                                    settings: TrainingSettings, testEachEpoch: Bool = false,
                                    progress: (TrainingProgress) -> Void = { _ in }) throws(TrainingError) -> (Adapter, TrainingRecord) {
        let fingerprint = baseFingerprint ?? base.computeFingerprint()
        let initial = try recipe.initialAdapter(for: base, baseFingerprint: fingerprint, seed: settings.seed)
        let model = try TrainableModel(base: base, adapter: initial, trainable: true, detachNorm: recipe.detachNorm)
        try model.checkFits(classCount: CIFAR10.classCount)
        var record = try train(model, method: recipe.method.rawValue, data: data, settings: settings, testEachEpoch: testEachEpoch,
                               progress: progress)
        record.adapter = recipe
        record.baseFingerprint = fingerprint
        guard var adapter = model.adapter else { throw .incompatibleModel(problem: "internal: the adapter model lost its adapter") }
        adapter.provenance = record.json
        adapter.createdBy = FormatV1.toolVersion
        return (adapter, record)
    }

    private static func train(_ model: TrainableModel, method: String, data: CIFAR10Dataset, settings: TrainingSettings, testEachEpoch: Bool,
                              progress: (TrainingProgress) -> Void) throws(TrainingError) -> TrainingRecord {
        let epochs = try Trainer.train(model, on: data.train, settings: settings, testSplit: testEachEpoch ? data.test : nil, progress: progress)
        // Training time only: the epochs' own times leave out the test passes of testEachEpoch.
        let seconds = epochs.reduce(0) { $0 + $1.seconds }
        let accuracy = data.test.count > 0 ? Evaluator.evaluate(model, on: data.test, classNames: data.classNames).report.accuracy : nil
        return TrainingRecord(method: method, data: data.source, trainImages: data.train.count, testImages: data.test.count,
                              settings: settings, trainableParameters: model.trainableParameterCount, epochs: epochs,
                              trainingSeconds: seconds, testAccuracy: accuracy)
    }
}
