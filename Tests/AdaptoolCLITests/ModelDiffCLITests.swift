import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// Runs adaptool steps that must succeed, in a temporary folder, for the model tools' tests.
struct ModelSteps {
    let dir: TemporaryDirectory

    init() throws { dir = try TemporaryDirectory() }

    /// `dir/name`.
    func file(_ name: String) -> String { dir.file(name) }

    /// Runs adaptool and requires exit 0; returns stdout.
    @discardableResult
    func run(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try ExternalProcess.adaptool(arguments)
        try #require(result.status == 0, "adaptool \(arguments.joined(separator: " ")): exit \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
        return result.stdout
    }

    /// base.h5 imported from fixture `model`, `<adapter>.h5` imported from its PEFT folder, and
    /// merged.h5 = base.h5 + adapter.
    func importAndMerge(adapter: String) throws -> (model: String, targets: [String]) {
        let facts = try #require(try TransformerFixtures.expectations().adapters[adapter])
        try run(["import", TransformerFixtures.root + "/" + facts.base, "-o", file("base.h5")])
        try run(["import", TransformerFixtures.root + "/" + adapter, "--base", file("base.h5"), "-o", file(adapter + ".h5")])
        try run(["merge", file("base.h5"), file(adapter + ".h5"), "-o", file("merged.h5")])
        let targets = try TensorAdapterFile(path: file(adapter + ".h5")).manifest.targets.map(\.tensor)
        return (facts.base, targets)
    }
}

/// Expects a diff that failed: exit 2 (diff(1)'s "trouble"), no crash, one error line naming `naming`.
func expectDiffTrouble(_ result: ProcessResult, naming: String, _ context: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    let lines = result.stderr.split(separator: "\n")
    #expect(!result.crashed, "\(context): crashed", sourceLocation: sourceLocation)
    #expect(result.status == 2, "\(context): exit \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
    #expect(lines.count == 1 && lines[0].hasPrefix("adaptool: error: ") && lines[0].contains(naming), "\(context): \(result.stderr)", sourceLocation: sourceLocation)
}

/// `adaptool diff` on models of any architecture and on v2 adapters (issue 9, item 3).
@Suite struct ModelDiffCLITests {
    @Test(arguments: ["llama-lora-all-linear", "llama-bf16-lora", "gpt2-lora-conv1d", "llama-f16-dora"])
    func baseAgainstMergedExitsOneNamingEveryChangedModule(_ adapter: String) throws {
        let steps = try ModelSteps()
        let (model, targets) = try steps.importAndMerge(adapter: adapter)
        let modules = targets.map { String($0.dropLast(".weight".count)) }
        for first in [steps.file("base.h5"), TransformerFixtures.root + "/" + model] {
            let result = try ExternalProcess.adaptool(["diff", first, steps.file("merged.h5")])
            #expect(result.status == 1, "\(result.stderr)")
            let summary = try #require(result.stdout.split(separator: "\n").last.map(String.init))
            #expect(summary.hasPrefix("different: \(targets.count) of "), "\(summary)")
            for module in modules { #expect(summary.contains(module), "\(module) not named: \(summary)") }
        }
        let json = try ExternalProcess.adaptool(["diff", steps.file("base.h5"), steps.file("merged.h5"), "--json", "--no-rank"])
        #expect(json.status == 1)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let tensors = try #require(document["tensors"] as? [[String: Any]])
        #expect(Set(tensors.filter { $0["isSame"] as? Bool == false }.compactMap { $0["name"] as? String }) == Set(targets))
        // Untouched tensors kept their stored digests, so they were decided without reading data.
        #expect(tensors.filter { $0["decidedByDigest"] as? Bool == true }.count == tensors.count - targets.count)
    }

    @Test func aModelAgainstItselfInAnyFormExitsZero() throws {
        let steps = try ModelSteps()
        let gpt2 = TransformerFixtures.root + "/gpt2-f32"
        try steps.run(["import", gpt2, "-o", steps.file("base.h5")])
        let pairs = [[steps.file("base.h5"), steps.file("base.h5")], [gpt2, steps.file("base.h5")], [gpt2 + "/model.safetensors", gpt2]]
        for pair in pairs {
            let result = try ExternalProcess.adaptool(["diff"] + pair)
            #expect(result.status == 0, "\(pair): \(result.stderr)")
            #expect(result.stdout.contains("same: 28 tensors"), "\(result.stdout)")
        }
        #expect(try steps.run(["diff", steps.file("base.h5"), steps.file("base.h5")]).contains("(28 by stored digest)"))
        // A v1 checkpoint is seen as <layer>.weight / <layer>.bias: the same as its exported state dict.
        let v1 = PackagePaths.fixtures + "/checkpoint.h5"
        try steps.run(["export", v1, "-o", steps.file("v1.safetensors")])
        #expect(try steps.run(["diff", v1, steps.file("v1.safetensors")]).contains("same: "))
    }

    @Test func dtypeChangesAndOneSidedTensorsAreReported() throws {
        let root = TransformerFixtures.root
        let dtypes = try ExternalProcess.adaptool(["diff", root + "/llama-f32", root + "/llama-f16"])
        #expect(dtypes.status == 1)
        #expect(dtypes.stdout.contains("float32 32×32 vs float16 32×32"), "\(dtypes.stdout)")
        let models = try ExternalProcess.adaptool(["diff", root + "/llama-f32", root + "/gpt2-f32", "--no-rank"])
        #expect(models.status == 1)
        #expect(models.stdout.contains("only in \(root)/gpt2-f32") && models.stdout.contains("only in \(root)/llama-f32"))
    }

    @Test func twoAdaptersAreComparedByTheirEffectiveUpdate() throws {
        let steps = try ModelSteps()
        _ = try steps.importAndMerge(adapter: "llama-lora-all-linear")
        let lora = steps.file("llama-lora-all-linear.h5")
        #expect(try steps.run(["diff", lora, lora]).contains("same effect"))
        // The extracted adapter has other factors but (up to float32 rounding) the same B·A.
        try steps.run(["extract", steps.file("base.h5"), steps.file("merged.h5"), "--rank", "4", "-o", steps.file("x.h5")])
        let exact = try ExternalProcess.adaptool(["diff", lora, steps.file("x.h5")])
        #expect(exact.status == 1 && exact.stdout.contains("14 of 14 targets differ"), "\(exact.stdout)")
        let close = try ExternalProcess.adaptool(["diff", lora, steps.file("x.h5"), "--atol", "1e-7"])
        #expect(close.status == 0, "\(close.stdout)")
        #expect(close.stdout.contains("factors differ but the updates match"), "\(close.stdout)")
        // DoRA's ΔW depends on W: with --base it is computed; the methods differ anyway.
        try steps.run(["import", TransformerFixtures.root + "/llama-dora", "--base", steps.file("base.h5"), "-o", steps.file("dora.h5")])
        #expect(try steps.run(["diff", steps.file("dora.h5"), steps.file("dora.h5"), "--base", steps.file("base.h5")]).contains("same effect"))
        let methods = try ExternalProcess.adaptool(["diff", lora, steps.file("dora.h5"), "--base", steps.file("base.h5")])
        #expect(methods.status == 1 && methods.stdout.contains("methods differ (lora vs dora)"), "\(methods.stdout)")
    }

    @Test func mismatchedInputsAreOneErrorLineWithExitTwo() throws {
        let steps = try ModelSteps()
        _ = try steps.importAndMerge(adapter: "llama-bf16-lora")
        let adapter = steps.file("llama-bf16-lora.h5")
        let cases: [([String], String)] = [
            (["diff", steps.file("base.h5"), adapter], adapter),
            (["diff", adapter, TransformerFixtures.root + "/llama-bf16"], adapter),
            (["diff", adapter, TransformerFixtures.root + "/llama-bf16-lora"], TransformerFixtures.root + "/llama-bf16-lora"),
            (["diff", steps.file("base.h5"), steps.file("absent.h5")], steps.file("absent.h5")),
        ]
        for (arguments, naming) in cases { expectDiffTrouble(try ExternalProcess.adaptool(arguments), naming: naming, arguments) }
    }
}
