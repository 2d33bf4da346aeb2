import AdapterTestSupport
import Foundation
import Testing

/// Real transformers + PEFT against adaptool on tiny Llama / GPT-2 models built from a config
/// (Fixtures/transformers/peft_transformers_check.py: direct merge, import → merge → export,
/// import → export byte for byte, logits), and PEFT loading the PEFT folders `export` writes from
/// v2 adapters. Needs a Python with torch, transformers and peft: set PEFT_PYTHON to run these.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["PEFT_PYTHON"] != nil, "set PEFT_PYTHON to a Python with torch, transformers and peft"))
struct TransformersPEFTCLITests {
    static let script = TransformerFixtures.root + "/peft_transformers_check.py"

    @Test func everyCasePassesAgainstPEFTAndTransformers() throws {
        let python = try #require(ProcessInfo.processInfo.environment["PEFT_PYTHON"])
        let dir = try TemporaryDirectory()
        let result = try ExternalProcess.run(python, [Self.script, "--adaptool", PackagePaths.adaptoolBinary, "--workdir", dir.path, "--case", "all"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr.suffix(2000))")
        let lines = result.stdout.split(separator: "\n").filter { $0.hasPrefix("PASS ") || $0.hasPrefix("FAIL ") || $0.hasPrefix("SKIP ") }
        #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("PASS ") }, "\(result.stdout)")
    }

    @Test(arguments: ModelMergeCLITests.adapters)
    func peftLoadsTheExportedAdapterLikeTheOriginal(_ adapter: String) throws {
        let python = try #require(ProcessInfo.processInfo.environment["PEFT_PYTHON"])
        let steps = try ModelSteps()
        let model = TransformerFixtures.root + "/" + (try #require(try TransformerFixtures.expectations().adapters[adapter])).base
        try steps.run(["import", model, "-o", steps.file("base.h5")])
        try steps.run(["import", TransformerFixtures.root + "/" + adapter, "--base", steps.file("base.h5"), "-o", steps.file("adapter.h5")])
        try steps.run(["export", steps.file("adapter.h5"), "-o", steps.file("peft")])
        let check = try ExternalProcess.run(python, [TransformerFixtures.root + "/peft_export_check.py", model,
                                                     TransformerFixtures.root + "/" + adapter, steps.file("peft")])
        #expect(check.status == 0 && check.stdout.hasPrefix("PASS "), "\(check.stdout)\(check.stderr.suffix(2000))")
    }
}
