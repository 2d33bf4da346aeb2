import AdapterCore
import AdapterMath

/// What `adaptool eval` reports.
public struct EvaluationSummary: Sendable, Codable {
    /// The checkpoint evaluated.
    public var model: String
    /// The adapter applied unmerged, if any.
    public var adapter: String?
    /// Where the test images came from.
    public var data: String
    /// Accuracy, per-class accuracy, confusion matrix and throughput (of base + adapter when given).
    public var report: EvaluationReport
    /// Unmerged versus merged, with `--compare-merged`.
    public var comparison: MergeComparison?
}

/// The `adaptool eval` job as a library call.
public enum EvaluationRun {
    /// Timing for `--compare-merged`: at least this many passes per model and this much time, at
    /// most `maximumTimingPasses`; the fastest pass counts, so a busy machine disturbs the comparison less.
    static let minimumTimingPasses = 3, minimumTimingSeconds = 0.3, maximumTimingPasses = 50

    /// Evaluates the checkpoint at `modelPath`, with the adapter at `adapterPath` applied unmerged
    /// when given; with `compareMerged`, also merges in memory and compares logits and timings.
    /// `ignoreFingerprint` accepts an adapter trained on another base (shapes must still fit).
    public static func run(modelPath: String, adapterPath: String?, data: CIFAR10Dataset, compareMerged: Bool,
                           ignoreFingerprint: Bool = false) throws -> EvaluationSummary {
        let loaded = try MLPView.checkpoint(at: modelPath)
        let base = loaded.checkpoint
        let classNames = base.metadata.classNames ?? data.classNames
        guard let adapterPath else {
            let model = TrainableModel(checkpoint: base, trainable: false)
            try model.checkFits(classCount: CIFAR10.classCount)
            let report = Evaluator.evaluate(model, on: data.test, classNames: classNames).report
            return EvaluationSummary(model: modelPath, adapter: nil, data: data.source, report: report)
        }
        let adapter = try MLPView.adapter(at: adapterPath)
        let fingerprint = loaded.fingerprint
        let weighted = [WeightedAdapter(adapter, label: adapterPath)]
        try AdapterMerge.validate(weighted, baseFingerprint: fingerprint, shapes: base.layers.map { ($0.name, $0.outputSize, $0.inputSize) },
                                  ignoreFingerprint: ignoreFingerprint)
        let unmerged = try TrainableModel(base: base, adapter: adapter, trainable: false)
        try unmerged.checkFits(classCount: CIFAR10.classCount)
        let (report, unmergedLogits) = Evaluator.evaluate(unmerged, on: data.test, classNames: classNames, keepLogits: compareMerged)
        var summary = EvaluationSummary(model: modelPath, adapter: adapterPath, data: data.source, report: report)
        guard compareMerged, let unmergedLogits else { return summary }
        let merged = TrainableModel(checkpoint: try base.merged(with: weighted, baseFingerprint: fingerprint, ignoreFingerprint: ignoreFingerprint), trainable: false)
        let (mergedReport, mergedLogits) = Evaluator.evaluate(merged, on: data.test, classNames: classNames, keepLogits: true)
        let (differing, largest) = Evaluator.compare(unmerged: unmergedLogits, merged: mergedLogits ?? [], classes: merged.outputSize)
        let baseModel = TrainableModel(checkpoint: base, trainable: false)
        var times: [String: Double] = [:]
        for (name, model) in [("base", baseModel), ("unmerged", unmerged), ("merged", merged)] {
            times[name] = fastestMicrosecondsPerImage(model, data.test)
        }
        summary.comparison = MergeComparison(differingPredictions: differing, maxLogitDifference: largest, mergedAccuracy: mergedReport.accuracy,
                                             microsecondsPerImage: times)
        return summary
    }

    private static func fastestMicrosecondsPerImage(_ model: TrainableModel, _ split: CIFAR10Split) -> Double {
        guard split.count > 0 else { return 0 }
        var fastest = Double.infinity, total = 0.0, passes = 0
        while passes < maximumTimingPasses, passes < minimumTimingPasses || total < minimumTimingSeconds {
            let seconds = Evaluator.evaluate(model, on: split, classNames: []).report.seconds
            fastest = min(fastest, seconds)
            total += seconds
            passes += 1
        }
        return 1e6 * fastest / Double(split.count)
    }
}
