import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// `adaptool diff A B --plot FILE.svg` (issue 10, item 4): one SVG with (a) relative ‖ΔW‖ bars per
/// changed module, (b) ΔW's singular-value spectra with the numerical rank marked, (c) the DoRA
/// paper's ΔM-vs-ΔD scatter; diff's exit codes and output unchanged; the plot path checked first.
@Suite struct DiffPlotCLITests {
    /// What the SVG holds, counted from its elements: bars are the only rectangles in the first
    /// series colour, spectra the only polylines, module points the only circles of radius 5.
    struct Drawn {
        var bars: Int
        var spectrumPoints: [Int]
        var modulePoints: Int
        /// The ranks the spectrum legend names ("q_proj · rank 4").
        var legendRanks: [Int]

        init(_ svg: String) {
            bars = svg.components(separatedBy: "<rect ").filter { $0.contains("fill=\"#0072b2\"") }.count
            spectrumPoints = svg.components(separatedBy: "<polyline points=\"").dropFirst().map {
                $0.prefix { $0 != "\"" }.split(separator: " ").count
            }
            modulePoints = svg.components(separatedBy: "<circle ").filter { $0.contains(" r=\"5\"") }.count
            legendRanks = svg.components(separatedBy: " · rank ").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
        }
    }

    /// The two base-vs-LoRA-merged cases: the v1 MLP fixture with its rank-2/3 adapter, and the
    /// tiny Llama with its rank-4 PEFT adapter on every linear layer.
    enum MergedCase: CaseIterable {
        case mlp, llama

        /// Merges the adapter into the base with adaptool; returns (base, merged).
        func make(in dir: TemporaryDirectory) throws -> (base: String, merged: String) {
            let (base, adapter, merged) = self == .mlp
                ? (PackagePaths.fixtures + "/checkpoint.h5", PackagePaths.fixtures + "/adapter_lora.h5", dir.file("merged.h5"))
                : (TransformerFixtures.root + "/llama-f32", TransformerFixtures.root + "/llama-lora-all-linear", dir.file("merged"))
            let merge = try ExternalProcess.adaptool(["merge", base, adapter, "-o", merged])
            try #require(merge.status == 0, "\(merge.stderr)")
            return (base, merged)
        }
    }

    /// Runs diff with and without `--plot` (and with `--json`): the same exit status and the same
    /// stdout; returns the SVG and diff's JSON document.
    func plotted(_ first: String, _ second: String, _ dir: TemporaryDirectory, extra: [String] = [],
                 status: Int32 = 1) throws -> (svg: String, json: [String: Any]) {
        let svgPath = dir.file("diff.svg")
        for json in [false, true] {
            let arguments = ["diff", first, second] + extra + (json ? ["--json"] : [])
            let plain = try ExternalProcess.adaptool(arguments)
            let withPlot = try ExternalProcess.adaptool(arguments + ["--plot", svgPath, "--force"])
            #expect(!withPlot.crashed && withPlot.status == status && plain.status == status, "\(withPlot.stderr)")
            #expect(withPlot.stdout == plain.stdout, "--plot changed diff's output")
            #expect(withPlot.stderr.isEmpty, "\(withPlot.stderr)")
        }
        let svg = try String(contentsOfFile: svgPath, encoding: .utf8)
        #expect(try dir.contents().allSatisfy { !$0.hasPrefix(".") }, "a temporary file was left behind")
        let json = try ExternalProcess.adaptool(["diff", first, second, "--json"] + extra)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        return (svg, document)
    }

    /// How many pixels of each of the three panels are close to a colour the figure draws data in
    /// (the palette of the highlighted modules), as a real renderer draws them: each panel
    /// is rendered on its own, at half size (which keeps the pure-Python PNG decoding fast), by
    /// narrowing the SVG's viewBox to its cell.
    func panelInk(_ svgPath: String) throws -> [Int] {
        let svg = try String(contentsOfFile: svgPath, encoding: .utf8)
        let size = try #require(PlotRendering.size(svg))
        let cell = Double(size.width - 20) / 3   // PlotFigure's 10-pixel margins, three equal cells
        let colours = PlotPalette.series.map { String($0.svg.dropFirst()) }
        return try (0..<3).map { index in
            let crop = svgPath + ".panel\(index).svg"
            let viewBox = "viewBox=\"\(10 + Double(index) * cell) 0 \(cell) \(size.height)\""
            let cropped = svg.replacingOccurrences(of: "width=\"\(size.width)\" height=\"\(size.height)\" viewBox=\"0 0 \(size.width) \(size.height)\"",
                                                   with: "width=\"\(Int(cell / 2))\" height=\"\(size.height / 2)\" " + viewBox)
            try #require(cropped != svg, "the root element's size attributes were not found")
            try cropped.write(toFile: crop, atomically: false, encoding: .utf8)
            return try PlotRendering.probe(try PlotRendering.render(crop), near: colours).near.values.reduce(0, +)
        }
    }

    @Test func mlpBaseAgainstLoRAMergedDrawsEveryLayerWithItsRank() throws {
        let dir = try TemporaryDirectory()
        let (base, merged) = try MergedCase.mlp.make(in: dir)
        let (svg, json) = try plotted(base, merged, dir)
        let layers = try #require(json["layers"] as? [[String: Any]])
        let drawn = Drawn(svg)
        // fc1 is 8×12 with a rank-2 update, fc2 3×8 with rank 3 (the fixture's rank pattern).
        #expect(drawn.bars == layers.count && drawn.modulePoints == layers.count)
        #expect(drawn.spectrumPoints == [8, 3])
        #expect(svg.contains("fc1 · rank 2") && svg.contains("fc2 · rank 3"), "the figure's ranks exceed the LoRA ranks")
        #expect(svg.contains("ΔM vs ΔD per output row (norm axis: output)"))
        let byColumn = try plotted(base, merged, dir, extra: ["--norm-axis", "input", "--no-rank"]).svg
        #expect(byColumn.contains("per input column (norm axis: input)") && Drawn(byColumn).spectrumPoints.isEmpty)
        #expect(byColumn.contains("SVD not run (rank not requested)"))
    }

    @Test func tinyLlamaAgainstPEFTMergedShowsRankAtMostR() throws {
        let dir = try TemporaryDirectory()
        let (model, merged) = try MergedCase.llama.make(in: dir)
        let (svg, json) = try plotted(model, merged, dir)
        let tensors = try #require(json["tensors"] as? [[String: Any]])
        let changed = tensors.filter { $0["isSame"] as? Bool == false }
        let shapes = changed.compactMap { ($0["first"] as? [String: Any])?["shape"] as? [Int] }
        let drawn = Drawn(svg)
        #expect(changed.count == 14 && shapes.count == 14 && shapes.allSatisfy { $0.count == 2 })
        #expect(drawn.bars == changed.count && drawn.modulePoints == changed.count)
        // One spectrum line per module, every singular value kept (float32 rounding keeps them above the floor).
        #expect(drawn.spectrumPoints.sorted() == shapes.map { min($0[0], $0[1], WeightComparisonDetail.keptSingularValues) }.sorted())
        // The adapter has r = 4: every rank the legend names (the five largest changes) is at most 4.
        #expect(drawn.legendRanks.count == 5 && drawn.legendRanks.allSatisfy { $0 >= 1 && $0 <= 4 }, "\(drawn.legendRanks)")
        #expect(svg.contains("names without &quot;model.layers.&quot;"))
        // v2 diffs take ΔM and ΔD along --norm-axis too.
        let byColumn = try plotted(model, merged, dir, extra: ["--norm-axis", "input"]).svg
        #expect(byColumn.contains("ΔM vs ΔD per input column (norm axis: input)"))
    }

    @Test func sameFilesSayNoDifferences() throws {
        let dir = try TemporaryDirectory()
        let base = PackagePaths.fixtures + "/checkpoint.h5"
        let (svg, _) = try plotted(base, base, dir, status: 0)
        #expect(svg.contains(">no differences<") && !svg.contains("<polyline") && Drawn(svg).bars == 0)
        let model = TransformerFixtures.root + "/llama-f32"
        #expect(try plotted(model, model, dir, status: 0).svg.contains(">no differences<"))
    }

    @Test(.enabled(if: PlotRendering.renderer != nil, PlotRendering.skipReason))
    func bothFiguresRenderWithInkInEveryPanel() throws {
        let dir = try TemporaryDirectory()
        for merged in MergedCase.allCases {
            let (base, output) = try merged.make(in: dir)
            let diff = try ExternalProcess.adaptool(["diff", base, output, "--plot", dir.file("diff.svg"), "--force"])
            #expect(diff.status == 1 && diff.stderr.isEmpty, "\(diff.stderr)")
            // Bars; spectrum lines and rank markers; module points (about 10 full-colour pixels each at half size).
            for (panel, pixels) in zip(["relative ‖ΔW‖", "spectrum", "ΔM vs ΔD"], try panelInk(dir.file("diff.svg"))) {
                #expect(pixels >= 15, "\(merged): panel \(panel) has only \(pixels) pixels of data colour")
            }
        }
        // The probe sees a difference: "no differences" is grey text only.
        let base = PackagePaths.fixtures + "/checkpoint.h5"
        #expect(try ExternalProcess.adaptool(["diff", base, base, "--plot", dir.file("same.svg")]).status == 0)
        let same = try panelInk(dir.file("same.svg"))
        #expect(same == [0, 0, 0], "\(same)")
    }

    /// The plot path is checked before anything is compared: a missing input is not what the error
    /// names; an existing file is kept without --force; a folder is refused.
    @Test func plotPathIsCheckedFirst() throws {
        let dir = try TemporaryDirectory()
        let base = PackagePaths.fixtures + "/checkpoint.h5", absent = dir.file("absent.h5")
        let existing = dir.file("old.svg")
        try Data("keep".utf8).write(to: URL(fileURLWithPath: existing))
        try FileManager.default.createDirectory(atPath: dir.file("folder.svg"), withIntermediateDirectories: false)
        for (plot, naming) in [(existing, "already exists; pass --force"), (dir.file("folder.svg"), "folder"), (dir.file("none/x.svg"), "does not exist")] {
            let result = try ExternalProcess.adaptool(["diff", base, absent, "--plot", plot])
            expectDiffTrouble(result, naming: plot, [plot])
            #expect(result.stderr.contains(naming), "\(result.stderr)")
        }
        #expect(try String(contentsOfFile: existing, encoding: .utf8) == "keep")
        #expect(try dir.contents() == ["folder.svg", "old.svg"], "a file was left behind")
        let replaced = try ExternalProcess.adaptool(["diff", base, base, "--plot", existing, "--force"])
        #expect(try replaced.status == 0 && String(contentsOfFile: existing, encoding: .utf8).hasPrefix("<?xml"))
    }
}
