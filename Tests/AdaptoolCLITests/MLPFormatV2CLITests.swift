import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// The MLP as one architecture of format v2: a trained base and adapters upgraded to v2 evaluate
/// exactly like the v1 files, the v2 merge evaluates like the unmerged adapter, and a v2 model of
/// another architecture is refused by eval in one line.
struct MLPFormatV2CLITests {
    private func run(_ arguments: [String]) throws -> ProcessResult {
        let result = try ExternalProcess.adaptool(arguments)
        #expect(result.status == 0, "adaptool \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        return result
    }

    private func accuracy(_ text: String) -> String? { text.split(separator: "\n").first { $0.hasPrefix("accuracy:") }.map(String.init) }

    @Test func upgradedFilesEvaluateLikeTheOriginals() throws {
        let folder = try TemporaryDirectory()
        let data = folder.file("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try SyntheticCIFAR10.write(SyntheticCIFAR10.make(trainCount: 300, testCount: 200, seed: 5), to: data)
        let base = folder.file("base.h5"), lora = folder.file("lora.h5"), dora = folder.file("dora.h5")
        _ = try run(["train", "base", "--data", data, "--hidden", "16", "--epochs", "1", "--quiet", "-o", base])
        _ = try run(["train", "lora", "--base", base, "--data", data, "--rank", "2", "--epochs", "1", "--quiet", "-o", lora])
        _ = try run(["train", "dora", "--base", base, "--data", data, "--rank", "2", "--norm-axis", "input", "--epochs", "1", "--quiet", "-o", dora])
        let base2 = folder.file("base2.h5")
        _ = try run(["import", base, "-o", base2])
        #expect(accuracy(try run(["eval", base2, "--data", data]).stdout) == accuracy(try run(["eval", base, "--data", data]).stdout))
        for adapter in [lora, dora] {
            let adapter2 = adapter.replacingOccurrences(of: ".h5", with: "2.h5")
            _ = try run(["import", adapter, "--base", base, "-o", adapter2])
            let v1 = try run(["eval", base, "--adapter", adapter, "--data", data]).stdout
            let v2 = try run(["eval", base2, "--adapter", adapter2, "--data", data, "--compare-merged"]).stdout
            #expect(accuracy(v1) != nil && accuracy(v1) == accuracy(v2))
            #expect(v2.contains("merged vs unmerged: 0 of 200 predictions differ"), "\(v2)")
            let merged2 = adapter.replacingOccurrences(of: ".h5", with: "-merged2.h5")
            _ = try run(["merge", base2, adapter2, "-o", merged2])
            #expect(accuracy(try run(["eval", merged2, "--data", data]).stdout) == accuracy(v1))
        }
        let mismatched = try ExternalProcess.adaptool(["eval", base2, "--adapter", lora, "--data", data])
        #expect(mismatched.status == 1 && mismatched.stderr.split(separator: "\n").count == 1, "\(mismatched.stderr)")
    }

    @Test func trainingOnAV2BaseWritesV2Files() throws {
        let folder = try TemporaryDirectory()
        let data = folder.file("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try SyntheticCIFAR10.write(SyntheticCIFAR10.make(trainCount: 200, testCount: 100, seed: 7), to: data)
        let base = folder.file("base.h5"), base2 = folder.file("base2.h5")
        _ = try run(["train", "base", "--data", data, "--hidden", "8", "--epochs", "1", "--quiet", "-o", base])
        _ = try run(["import", base, "-o", base2])
        let fingerprint = try TensorCheckpointFile(path: base2).fingerprint
        for method in ["lora", "dora"] {
            let adapter = folder.file("\(method)2.h5")
            _ = try run(["train", method, "--base", base2, "--data", data, "--rank", "2", "--epochs", "1", "--quiet", "-o", adapter])
            let written = try TensorAdapterFile(path: adapter)
            #expect(written.manifest.method == method && written.manifest.baseFingerprint == fingerprint)
            #expect(written.manifest.targets.map(\.tensor) == ["fc1.weight", "fc2.weight"])
            _ = try run(["merge", base2, adapter, "-o", folder.file("\(method)-merged.h5")])
        }
        let full = folder.file("full2.h5")
        _ = try run(["train", "full", "--base", base2, "--data", data, "--epochs", "1", "--quiet", "-o", full])
        let tuned = try TensorCheckpointFile(path: full)
        #expect(tuned.architecture == "mlp" && tuned.metadata.layerOrder == ["fc1", "fc2"])
        #expect(try run(["inspect", "--verify", full]).status == 0)
    }

    @Test func evalRefusesAModelThatIsNotAnMLP() throws {
        let folder = try TemporaryDirectory()
        let model = folder.file("llama.h5")
        _ = try run(["import", PackagePaths.fixtures + "/transformers/llama-f32", "-o", model])
        let data = folder.file("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try SyntheticCIFAR10.write(SyntheticCIFAR10.make(trainCount: 10, testCount: 10, seed: 6), to: data)
        let result = try ExternalProcess.adaptool(["eval", model, "--data", data])
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("architecture") && result.stderr.contains("llama"), "\(result.stderr)")
    }
}
