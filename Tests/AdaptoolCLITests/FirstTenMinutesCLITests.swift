import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// Issue 10, "Defaults and messages": what a new user meets in the first ten minutes, run
/// through the binary as they run it.
@Suite struct FirstTenMinutesCLITests {
    let dir: TemporaryDirectory
    let base = Checkpoint.random(sizes: [16, 12, 5], seed: 201)

    init() throws {
        dir = try TemporaryDirectory()
        try base.write(to: dir.file("base.h5"))
        try Adapter.random(for: base, method: .lora, rank: 3, scaling: 1.5, seed: 202).write(to: dir.file("lora.h5"))
        try Adapter.random(for: base, method: .dora, rank: 2, normAxis: .input, seed: 203).write(to: dir.file("dora.h5"))
    }

    func run(_ arguments: [String]) throws -> ProcessResult { try ExternalProcess.adaptool(arguments) }

    @Test func mergeWithoutOutputWritesANamedDefaultAndNeverOverwrites() throws {
        let arguments = ["merge", dir.file("base.h5"), dir.file("dora.h5")]
        let first = try run(arguments)
        #expect(first.status == 0, "\(first.stderr)")
        let expected = dir.file("base+dora.h5")
        #expect(first.stdout.contains("wrote \(expected)"), "\(first.stdout)")
        let written = try Data(contentsOf: URL(fileURLWithPath: expected))
        #expect(try Checkpoint.read(from: expected).layers.count == 2)

        let again = try run(arguments)
        OutputFixture.expectOneLineFailure(again, naming: expected, arguments)
        #expect(again.stderr.contains("-o") && again.stderr.contains("--force"), "\(again.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: expected)) == written)
        #expect(try OutputFixture.leftovers(in: dir.path).isEmpty)
        #expect(try dir.contents() == ["base+dora.h5", "base.h5", "dora.h5", "lora.h5"])
    }

    @Test func mergeOfAModelFolderWithoutOutputWritesFolderMerged() throws {
        let model = dir.file("llama-bf16")
        try FileManager.default.copyItem(atPath: TransformerFixtures.root + "/llama-bf16", toPath: model)
        let adapter = TransformerFixtures.root + "/llama-bf16-lora"
        let first = try run(["merge", model + "/", adapter])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("wrote \(model)-merged:"), "\(first.stdout)")
        let again = try run(["merge", model, adapter])
        OutputFixture.expectOneLineFailure(again, naming: model + "-merged", ["merge", model, adapter])
        let swapped = try run(["merge", adapter, model])
        OutputFixture.expectOneLineFailure(swapped, naming: "the order is BASE then ADAPTER", ["merge", adapter, model])
        #expect(try dir.contents() == ["base.h5", "dora.h5", "llama-bf16", "llama-bf16-merged", "lora.h5"])
    }

    @Test func swappedMergeArgumentsNameTheOrder() throws {
        let arguments = ["merge", dir.file("lora.h5"), dir.file("base.h5"), "-o", dir.file("m.h5")]
        let result = try run(arguments)
        OutputFixture.expectOneLineFailure(result, naming: dir.file("lora.h5"), arguments)
        #expect(result.stderr.contains("the order is BASE then ADAPTER"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("m.h5")))
    }

    @Test func exportHelpOffersNoCompression() throws {
        let help = try run(["export", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--force"), "\(help.stdout)")
        #expect(!help.stdout.contains("--compress"), "\(help.stdout)")
        let merge = try run(["merge", "--help"])
        #expect(merge.stdout.contains("--compress"), "\(merge.stdout)")
    }

    static let optionsWithDefaults: [(command: String, option: String)] =
        [("unmerge", "--scale <scale>"), ("diff", "--atol <atol>"), ("diff", "--rtol <rtol>")]

    @Test(arguments: optionsWithDefaults.indices)
    func helpShowsADefaultOnce(_ index: Int) throws {
        let (command, option) = Self.optionsWithDefaults[index]
        let help = try run([command, "--help"])
        let start = try #require(help.stdout.range(of: "\n  " + option))
        let rest = help.stdout[start.upperBound...]
        let text = rest[..<(rest.range(of: "\n  --")?.lowerBound ?? rest.endIndex)]
        #expect(text.components(separatedBy: "default").count == 2, "\(command) \(option): \(text)")
    }

    @Test func inputAxisDoRAExportSaysPEFTCannotAndSuggestsMerge() throws {
        let arguments = ["export", dir.file("dora.h5"), "-o", dir.file("peft")]
        let result = try run(arguments)
        OutputFixture.expectOneLineFailure(result, naming: dir.file("dora.h5"), arguments)
        #expect(result.stderr.contains("cannot be represented by PEFT"), "\(result.stderr)")
        #expect(result.stderr.contains("adaptool merge"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("peft")))
    }

    @Test func inputAxisDoRAExportOfAV2AdapterSaysTheSame() throws {
        let base = ["train", "base", "--synthetic", "--epochs", "1", "--hidden", "4", "-o", dir.file("v2base.h5")]
        #expect(try run(base).status == 0)
        let train = ["train", "dora", "--synthetic", "--epochs", "1", "--rank", "1", "--norm-axis", "input", "--base", dir.file("v2base.h5"), "-o", dir.file("v2dora.h5")]
        let trained = try run(train)
        #expect(trained.status == 0, "\(trained.stderr)")
        let arguments = ["export", dir.file("v2dora.h5"), "-o", dir.file("peft")]
        let result = try run(arguments)
        OutputFixture.expectOneLineFailure(result, naming: dir.file("v2dora.h5"), arguments)
        #expect(result.stderr.contains("cannot be represented by PEFT"), "\(result.stderr)")
        #expect(result.stderr.contains("adaptool merge BASE \(dir.file("v2dora.h5"))"), "\(result.stderr)")
    }

    @Test func dataGivenAFileSaysAFolderIsExpected() throws {
        let arguments = ["train", "base", "--data", dir.file("base.h5"), "--epochs", "1", "-o", dir.file("t.h5")]
        let result = try run(arguments)
        OutputFixture.expectOneLineFailure(result, naming: dir.file("base.h5"), arguments)
        #expect(result.stderr.contains("is a file, not a folder"), "\(result.stderr)")
        #expect(!result.stderr.contains("no such folder"), "\(result.stderr)")
    }

    @Test func oneEpochIsSingular() throws {
        let result = try run(["train", "base", "--synthetic", "--epochs", "1", "--hidden", "4", "-o", dir.file("t.h5")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains(" 1 epoch of "), "\(result.stdout)")
    }

    /// Runs `stdout`'s "compare with adaptool diff ORIGINAL_BASE OUT …" hint against `original`.
    func runSuggestedDiff(_ stdout: String, original: String) throws -> ProcessResult {
        let marker = "compare with adaptool diff ORIGINAL_BASE "
        let start = try #require(stdout.range(of: marker), "\(stdout)")
        let rest = stdout[start.upperBound...]
        let tail = rest[..<(rest.firstIndex(of: ")") ?? rest.endIndex)]
        return try run(["diff", original] + tail.split(separator: " ").map(String.init))
    }

    @Test func unmergeSuggestsADiffThatPasses() throws {
        #expect(try run(["merge", dir.file("base.h5"), dir.file("lora.h5"), "-o", dir.file("m.h5")]).status == 0)
        let unmerged = try run(["unmerge", dir.file("m.h5"), dir.file("lora.h5"), "-o", dir.file("r.h5")])
        #expect(unmerged.status == 0, "\(unmerged.stderr)")
        let diff = try runSuggestedDiff(unmerged.stdout, original: dir.file("base.h5"))
        #expect(diff.status == 0, "\(diff.stdout)\(diff.stderr)")
        #expect(diff.stdout.contains("same within"), "\(diff.stdout)")
    }

    @Test func unmergeOfAV2CheckpointSuggestsADiffThatPasses() throws {
        let steps = [["train", "base", "--synthetic", "--epochs", "1", "--hidden", "8", "-o", dir.file("v2base.h5")],
                     ["train", "lora", "--synthetic", "--epochs", "1", "--rank", "2", "--base", dir.file("v2base.h5"), "-o", dir.file("v2lora.h5")],
                     ["merge", dir.file("v2base.h5"), dir.file("v2lora.h5"), "-o", dir.file("v2m.h5")]]
        for step in steps { #expect(try run(step).status == 0, "\(step)") }
        let unmerged = try run(["unmerge", dir.file("v2m.h5"), dir.file("v2lora.h5"), "-o", dir.file("v2r.h5")])
        #expect(unmerged.status == 0, "\(unmerged.stderr)")
        let diff = try runSuggestedDiff(unmerged.stdout, original: dir.file("v2base.h5"))
        #expect(diff.status == 0, "\(diff.stdout)\(diff.stderr)")
    }

    @Test func extractWarningsArePrefixedAndRounded() throws {
        try Checkpoint.random(sizes: [16, 12, 5], seed: 205).write(to: dir.file("other.h5"))
        let result = try run(["extract", dir.file("base.h5"), dir.file("other.h5"), "--rank", "1", "-o", dir.file("e.h5")])
        #expect(result.status == 0, "\(result.stderr)")
        let warnings = result.stderr.split(separator: "\n")
        #expect(!warnings.isEmpty)
        for line in warnings {
            #expect(line.hasPrefix("warning: ") || line.hasPrefix("note: "), "\(line)")
            let number = try #require(line.range(of: "max |Δb| ").map { line[$0.upperBound...].prefix { $0 != ")" } }, "\(line)")
            #expect(number.count <= 10, "unrounded: \(line)")
        }
    }
}
