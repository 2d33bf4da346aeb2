import AdapterCore
import Foundation

/// How an output was trained: hyperparameters, data and per-epoch figures. Stored as the output's
/// `provenance` JSON (snake_case keys) and, on request, as a CSV of the epochs.
public struct TrainingRecord: Sendable, Codable, Equatable {
    /// `base`, `full`, `lora` or `dora`.
    public var method: String
    /// The tool that trained.
    public var tool: String = FormatV1.toolVersion
    /// Where the data came from, and the split sizes.
    public var data: String
    /// Training images.
    public var trainImages: Int
    /// Test images (0 when the test split was not evaluated).
    public var testImages: Int
    /// Epochs, batch size, seed and Adam settings.
    public var settings: TrainingSettings
    /// Hidden sizes of a freshly trained base.
    public var hidden: [Int]?
    /// The adapter recipe (LoRA and DoRA).
    public var adapter: AdapterRecipe?
    /// Fingerprint of the base checkpoint trained on (adapters and full fine-tunes).
    public var baseFingerprint: String?
    /// Parameters the optimiser updated.
    public var trainableParameters: Int
    /// Per-epoch loss and accuracy.
    public var epochs: [EpochSummary]
    /// Total training wall time: the sum of the epochs' times (data loading, and the test passes
    /// after each epoch that `--metrics` and `--plot` ask for, excluded).
    public var trainingSeconds: Double
    /// Test accuracy of the result, in percent, when evaluated.
    public var testAccuracy: Double?

    /// The record as compact JSON with sorted snake_case keys.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// One CSV line per epoch: `epoch,loss,accuracy,seconds,samples_per_second,test_loss,test_accuracy`
    /// (loss and accuracy are the training split's; the test columns are empty when the test split
    /// was not evaluated after each epoch).
    public var metricsCSV: String {
        (["epoch,loss,accuracy,seconds,samples_per_second,test_loss,test_accuracy"] + epochs.map {
            "\($0.epoch),\($0.loss),\($0.accuracy),\($0.seconds),\($0.samplesPerSecond),"
                + "\($0.testLoss.map { "\($0)" } ?? ""),\($0.testAccuracy.map { "\($0)" } ?? "")"
        }).joined(separator: "\n") + "\n"
    }
}
