import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// `--plot` obeys the -o rules before any work (issue 10, item 4): an existing file is kept
/// without --force, a folder is never replaced, an impossible path fails at once with one line,
/// and none of these leaves a model, a CSV or a temporary file behind.
@Suite struct PlotOutputCLITests {
    let dir: TemporaryDirectory
    let data: String

    init() throws {
        dir = try TemporaryDirectory()
        data = dir.file("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try SyntheticCIFAR10.write(SyntheticCIFAR10.make(trainCount: 200, testCount: 100, seed: 5), to: data)
        let base = try ExternalProcess.adaptool(["train", "base", "--data", data, "--hidden", "8", "--epochs", "1", "-o", dir.file("base.h5")])
        #expect(base.status == 0, "\(base.stderr)")
    }

    /// `train base … --plot plot` (and a CSV), writing a model that must not appear on failure.
    private func train(plot: String, force: Bool = false) throws -> ProcessResult {
        try ExternalProcess.adaptool(["train", "base", "--data", data, "--hidden", "8", "--epochs", "1", "-o", dir.file("new.h5"),
                                      "--metrics", dir.file("new.csv"), "--plot", plot] + (force ? ["--force"] : []))
    }

    private func eval(plot: String, force: Bool = false) throws -> ProcessResult {
        try ExternalProcess.adaptool(["eval", dir.file("base.h5"), "--data", data, "--plot", plot] + (force ? ["--force"] : []))
    }

    /// Nothing but the inputs (and `extra`) in the folder: no model, CSV or hidden temporary file.
    private func expectNothingWritten(_ extra: [String] = [], _ context: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try dir.contents() == (["base.h5", "data"] + extra).sorted(), "\(context)", sourceLocation: sourceLocation)
        #expect(try OutputFixture.leftovers(in: dir.path).isEmpty, "\(context)", sourceLocation: sourceLocation)
    }

    @Test func anExistingPlotIsKeptWithoutForce() throws {
        let plot = dir.file("taken.svg")
        try "mine".write(toFile: plot, atomically: false, encoding: .utf8)
        for (name, result) in [("train", try train(plot: plot)), ("eval", try eval(plot: plot))] {
            OutputFixture.expectOneLineFailure(result, naming: plot, [name, "--plot"])
            #expect(result.stderr.contains("exists") && !result.stderr.contains("epoch"), "\(name): refused before any work: \(result.stderr)")
            #expect(try String(contentsOfFile: plot, encoding: .utf8) == "mine")
            try expectNothingWritten(["taken.svg"], name)
        }
        #expect(try eval(plot: plot, force: true).status == 0)
        #expect(try String(contentsOfFile: plot, encoding: .utf8).hasPrefix("<?xml"), "--force replaces the file")
    }

    @Test func aFolderIsNeverReplaced() throws {
        let folder = dir.file("pictures")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "keep".write(toFile: folder + "/keep.txt", atomically: false, encoding: .utf8)
        for (name, result) in [("train", try train(plot: folder, force: true)), ("eval", try eval(plot: folder, force: true))] {
            OutputFixture.expectOneLineFailure(result, naming: folder, [name, "--plot"])
            #expect(result.stderr.contains("is a folder"), "\(name): \(result.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["keep.txt"])
            try expectNothingWritten(["pictures"], name)
        }
    }

    @Test func anImpossiblePathFailsBeforeTraining() throws {
        let plot = dir.file("no-such-folder/plot.svg")
        for (name, result) in [("train", try train(plot: plot)), ("eval", try eval(plot: plot))] {
            OutputFixture.expectOneLineFailure(result, naming: plot, [name, "--plot"])
            #expect(!result.stderr.contains("epoch") && result.stdout.isEmpty, "\(name): checked before any work: \(result.stderr)")
            try expectNothingWritten([], name)
        }
    }
}
