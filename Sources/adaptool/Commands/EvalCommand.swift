import AdapterKit
import ArgumentParser
import Foundation

/// `adaptool eval`.
struct EvalCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Evaluate a checkpoint (optionally with an adapter) on the CIFAR-10 test set.")

    @Argument(help: "The checkpoint to evaluate (the base, when --adapter is given).")
    var model: String
    @Option(help: "A LoRA/DoRA adapter applied unmerged on top of MODEL.")
    var adapter: String?
    @OptionGroup var dataOptions: DataOptions
    @Flag(help: "Print the results as JSON.")
    var json = false
    @Flag(help: "Also merge the adapter in memory and compare predictions, logits and time per image.")
    var compareMerged = false
    @Flag(help: "Accept an adapter whose base_fingerprint differs from MODEL's (every shape must still fit).")
    var ignoreFingerprint = false
    @OptionGroup var plotOutput: PlotOutputOptions

    func validate() throws {
        if compareMerged, adapter == nil { throw ValidationError("--compare-merged needs --adapter") }
        if ignoreFingerprint, adapter == nil { throw ValidationError("--ignore-fingerprint needs --adapter") }
    }

    func execute() throws {
        try plotOutput.requireFree()
        let data = try dataOptions.load(testOnly: true)
        let summary = try EvaluationRun.run(modelPath: model, adapterPath: adapter, data: data, compareMerged: compareMerged,
                                              ignoreFingerprint: ignoreFingerprint)
        try plotOutput.write(Self.plot(summary))
        if json { try JSONOutput.print(summary) } else { print(Self.render(summary)) }
    }

    /// The confusion matrix and per-class accuracy of the evaluated model (MODEL, or MODEL with
    /// the adapter applied unmerged) by file name; with --compare-merged the subtitle adds the merged result.
    static func plot(_ summary: EvaluationSummary) -> PlotFigure {
        func name(_ path: String) -> String { URL(fileURLWithPath: path).lastPathComponent }
        let evaluated = name(summary.model) + (summary.adapter.map { " + \(name($0)) (unmerged)" } ?? "")
        var subtitle = "\(summary.data), \(summary.report.images) test images"
        if let comparison = summary.comparison {
            subtitle += String(format: "; merged: accuracy %.2f %%, %d predictions differ from unmerged",
                               comparison.mergedAccuracy, comparison.differingPredictions)
        }
        return summary.report.plot(model: evaluated, subtitle: subtitle)
    }

    static func render(_ summary: EvaluationSummary) -> String {
        let report = summary.report
        var lines = [
            "model:      \(summary.model)" + (summary.adapter.map { " + \($0) (unmerged)" } ?? ""),
            "data:       \(summary.data) (\(report.images) test images)",
            String(format: "accuracy:   %.2f %% (%d/%d)", report.accuracy, report.correct, report.images),
            String(format: "throughput: %.0f images/s", report.imagesPerSecond),
            "",
        ]
        var perClass = TextTable(headers: ["class", "accuracy %", "images"])
        for (index, name) in report.classNames.enumerated() where index < report.confusion.count {
            perClass.append([name, String(format: "%.1f", report.perClassAccuracy[index]), "\(report.confusion[index].reduce(0, +))"])
        }
        lines.append(perClass.render())
        lines.append("")
        lines.append("confusion matrix (rows: true class, columns: predicted)")
        let short = report.classNames.map { String($0.prefix(5)) }
        var confusion = TextTable(headers: [""] + short)
        for (index, row) in report.confusion.enumerated() {
            confusion.append([index < short.count ? short[index] : "\(index)"] + row.map(String.init))
        }
        lines.append(confusion.render())
        if let comparison = summary.comparison {
            let times = comparison.microsecondsPerImage
            lines.append("")
            lines.append("merged vs unmerged: \(comparison.differingPredictions) of \(report.images) predictions differ, "
                         + String(format: "max |logit difference| %.3g", comparison.maxLogitDifference))
            lines.append(String(format: "merged accuracy: %.2f %%", comparison.mergedAccuracy))
            lines.append(String(format: "time per image: base %.2f µs, unmerged %.2f µs, merged %.2f µs",
                                times["base"] ?? 0, times["unmerged"] ?? 0, times["merged"] ?? 0))
        }
        return lines.joined(separator: "\n")
    }
}
