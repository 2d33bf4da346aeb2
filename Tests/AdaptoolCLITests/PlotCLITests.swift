import AdapterKit
import AdapterTestSupport
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// `train --plot` and `eval --plot` (issue 10, item 4): SVG written atomically under the -o rules,
/// checked before any work, and rendered by a real renderer into pictures with real content.
@Suite struct PlotCLITests {
    let dir: TemporaryDirectory
    let data: String

    /// Okabe–Ito blue and vermilion: the train and test series (and the bars).
    static let trainColour = "0072b2", testColour = "d55e00"

    init() throws {
        dir = try TemporaryDirectory()
        data = dir.file("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try SyntheticCIFAR10.write(SyntheticCIFAR10.make(trainCount: 600, testCount: 200, seed: 4), to: data)
    }

    private func run(_ arguments: [String]) throws -> ProcessResult {
        let result = try ExternalProcess.adaptool(arguments)
        #expect(result.status == 0 && !result.crashed, "adaptool \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        return result
    }

    private func trainBase(_ extra: [String] = []) throws -> ProcessResult {
        try ExternalProcess.adaptool(["train", "base", "--data", data, "--hidden", "32", "--epochs", "2", "-o", dir.file("base.h5")] + extra)
    }

    @Test(.enabled(if: PlotRendering.renderer != nil, PlotRendering.skipReason))
    func trainPlotDrawsTrainAndTestCurves() throws {
        let plot = dir.file("base-training.svg"), metrics = dir.file("base.csv")
        let trained = try trainBase(["--plot", plot, "--metrics", metrics])
        #expect(trained.status == 0, "\(trained.stderr)")
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.contains("Training: base MLP 3072→32→10"), "the title names the method and the model")
        #expect(svg.contains(">train<") && svg.contains(">test<") && svg.contains(">epoch<"))
        let png = try PlotRendering.render(plot)
        let probe = try PlotRendering.probe(png, near: [Self.trainColour, Self.testColour])
        let size = try #require(PlotRendering.size(svg))
        #expect(probe.width == size.width && probe.height == size.height && probe.width >= 900, "\(probe.width)×\(probe.height)")
        #expect(probe.nonWhite > probe.width * probe.height / 50, "the picture is nearly blank")
        #expect(probe.near[Self.trainColour, default: 0] > 200, "no train curve drawn: \(probe.near)")
        #expect(probe.near[Self.testColour, default: 0] > 200, "no test curve drawn: \(probe.near)")

        // The per-epoch test figures are also in the CSV, and the last one is the reported accuracy.
        let rows = try String(contentsOfFile: metrics, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(rows.first?.joined(separator: ",") == "epoch,loss,accuracy,seconds,samples_per_second,test_loss,test_accuracy")
        #expect(rows.count == 3 && rows.dropFirst().allSatisfy { $0.count == 7 && Double($0[5]) != nil && Double($0[6]) != nil })
        let last = try #require(rows.last.flatMap { Double($0[6]) })
        #expect(trained.stdout.contains(String(format: "test accuracy %.2f %%", last)), "\(trained.stdout)")
    }

    @Test func evaluatingAfterEachEpochDoesNotChangeTraining() throws {
        let plain = try run(["train", "base", "--data", data, "--hidden", "16", "--epochs", "2", "-o", dir.file("a.h5")])
        let plotted = try run(["train", "base", "--data", data, "--hidden", "16", "--epochs", "2", "-o", dir.file("b.h5"), "--plot", dir.file("b.svg")])
        func accuracy(_ result: ProcessResult) -> Substring? { result.stdout.split(separator: ",").last }
        #expect(accuracy(plain) != nil && accuracy(plain) == accuracy(plotted), "\(plain.stdout) vs \(plotted.stdout)")
        let fingerprints = try [dir.file("a.h5"), dir.file("b.h5")].map { try TensorCheckpointFile(path: $0).fingerprint }
        #expect(fingerprints[0] == fingerprints[1], "the test pass changed the trained weights")
    }

    @Test(.enabled(if: PlotRendering.renderer != nil, PlotRendering.skipReason))
    func evalPlotDrawsTheConfusionMatrix() throws {
        _ = try run(["train", "base", "--data", data, "--hidden", "32", "--epochs", "2", "-o", dir.file("base.h5")])
        let plot = dir.file("eval.svg")
        let evaluated = try run(["eval", dir.file("base.h5"), "--data", data, "--json", "--plot", plot])
        let summary = try JSONDecoder().decode(EvaluationSummary.self, from: Data(evaluated.stdout.utf8))
        let report = summary.report
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.contains(String(format: "accuracy %.2f %% (%d/%d)", report.accuracy, report.correct, report.images)), "overall accuracy in the title")
        #expect(svg.contains(">true class<") && svg.contains(">predicted class<") && svg.contains(">accuracy per true class<"))
        let cells = try PlotRendering.heatMapCells(svg)
        #expect(cells.count == 100, "a 10 × 10 heat map, one titled cell per count")

        // Sample each cell near its corner (away from the count written in its middle).
        let png = try PlotRendering.render(plot)
        let probe = try PlotRendering.probe(png, at: cells.map { ($0.x + 3, $0.y + 3) }, near: [Self.trainColour])
        #expect(probe.near[Self.trainColour, default: 0] > 1000, "no per-class accuracy bars drawn")
        let names = report.classNames
        var luminance: [String: Double] = [:]
        for (cell, rgb) in zip(cells, probe.at) {
            luminance[cell.row + "/" + cell.column] = 0.2126 * Double(rgb[0]) + 0.7152 * Double(rgb[1]) + 0.0722 * Double(rgb[2])
        }
        // Within each true class, a cell with a clearly larger share of the images is darker.
        var compared = 0
        for (r, row) in report.confusion.enumerated() {
            let total = Double(max(1, row.reduce(0, +)))
            for a in row.indices {
                for b in row.indices where Double(row[a] - row[b]) / total >= 0.15 {
                    let darker = try #require(luminance[names[r] + "/" + names[a]]), lighter = try #require(luminance[names[r] + "/" + names[b]])
                    #expect(darker < lighter - 10, "\(names[r]): \(row[a]) images → \(names[a]) should be darker than \(row[b]) → \(names[b])")
                    compared += 1
                }
            }
        }
        #expect(compared >= 10, "the model is too weak for the comparison to mean anything")
        let diagonal = mean(cells.indices.filter { cells[$0].row == cells[$0].column }.map { Double(probe.at[$0].reduce(0, +)) })
        let offDiagonal = mean(cells.indices.filter { cells[$0].row != cells[$0].column }.map { Double(probe.at[$0].reduce(0, +)) })
        #expect(diagonal < offDiagonal - 100, "the diagonal (most images) is darker than the rest on average")
    }

    @Test(.enabled(if: PlotRendering.renderer != nil, PlotRendering.skipReason))
    func hostileClassNamesAreEscapedAndCut() throws {
        // Class names come from the data's batches.meta.txt into the checkpoint, and from there into the picture.
        let long = String(repeating: "very-long-class-name-", count: 15)
        let names = ["</text><script>x</script>", "a & b", "\"quoted\" 'single'", "esc\u{1B}[31mape", long,
                     "ünïcödé ✈", "cat", "dog", "]]>", "<!--"]
        try names.joined(separator: "\n").write(toFile: data + "/batches.meta.txt", atomically: false, encoding: .utf8)
        _ = try run(["train", "base", "--data", data, "--hidden", "8", "--epochs", "1", "-o", dir.file("base.h5")])
        let plot = dir.file("hostile.svg")
        _ = try run(["eval", dir.file("base.h5"), "--data", data, "--plot", plot])
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "not well-formed XML: \(String(describing: parser.parserError))")
        #expect(!svg.contains("<script>") && !svg.contains("\u{1B}") && !svg.contains(long))
        #expect(svg.contains("&lt;/text&gt;&lt;script&gt;") && svg.contains("a &amp; b") && svg.contains("very-long-class-name-very…"))
        let probe = try PlotRendering.probe(try PlotRendering.render(plot))
        #expect(probe.nonWhite > probe.width * probe.height / 50, "rendered nearly blank")
    }

    private func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(1, values.count)) }

    @Test func evalPlotOfAnAdapterSaysWhichModelWasEvaluated() throws {
        _ = try run(["train", "base", "--data", data, "--hidden", "16", "--epochs", "1", "-o", dir.file("base.h5")])
        _ = try run(["train", "lora", "--base", dir.file("base.h5"), "--data", data, "--epochs", "1", "-o", dir.file("lora.h5")])
        let plot = dir.file("lora-eval.svg")
        _ = try run(["eval", dir.file("base.h5"), "--adapter", dir.file("lora.h5"), "--compare-merged", "--data", data, "--plot", plot])
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.contains("base.h5 + ") && svg.contains("lora.h5 (unmerged)") && svg.contains("merged: accuracy"), "\(svg.prefix(600))")
        // The same evaluation draws the same bytes.
        _ = try run(["eval", dir.file("base.h5"), "--adapter", dir.file("lora.h5"), "--compare-merged", "--data", data, "--plot", plot, "--force"])
        #expect(try String(contentsOfFile: plot, encoding: .utf8) == svg)
    }
}
