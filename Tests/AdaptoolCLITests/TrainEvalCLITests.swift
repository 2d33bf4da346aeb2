import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// train base → lora/dora → (merge) → eval on tiny synthetic data, through the built binary.
struct TrainEvalCLITests {
    /// A folder of synthetic CIFAR-format files small enough for a debug build to train in seconds.
    private func dataFolder(_ folder: TemporaryDirectory) throws -> String {
        let path = folder.file("data")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try SyntheticCIFAR10.write(SyntheticCIFAR10.make(trainCount: 600, testCount: 200, seed: 4), to: path)
        return path
    }

    private func run(_ arguments: [String]) throws -> ProcessResult {
        let result = try ExternalProcess.adaptool(arguments)
        #expect(result.status == 0, "adaptool \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        return result
    }

    @Test func trainBaseThenAdaptersThenEvaluate() throws {
        let folder = try TemporaryDirectory()
        let data = try dataFolder(folder)
        let base = folder.file("base.h5"), lora = folder.file("lora.h5"), dora = folder.file("dora.h5")
        let trained = try run(["train", "base", "--data", data, "--hidden", "32", "--epochs", "2", "--metrics", folder.file("base.csv"), "-o", base])
        #expect(trained.stdout.contains("test accuracy"))
        #expect(trained.stderr.contains("epoch 2/2"), "one plain progress line per epoch when stderr is not a terminal")
        #expect(try String(contentsOfFile: folder.file("base.csv"), encoding: .utf8).split(separator: "\n").count == 3)
        let checkpoint = try TensorCheckpointFile(path: base)
        #expect(checkpoint.architecture == "mlp" && checkpoint.metadata.layerOrder == ["fc1", "fc2"])
        #expect(checkpoint.metadata.inputShape == [3, 32, 32] && checkpoint.metadata.normalizationStd == [0.5, 0.5, 0.5])
        #expect(checkpoint.metadata.provenance?.contains("\"learning_rate\":0.005") == true)

        _ = try run(["train", "lora", "--base", base, "--data", data, "--rank", "2", "--scaling", "4", "--epochs", "2", "--quiet", "-o", lora])
        _ = try run(["train", "dora", "--base", base, "--data", data, "--rank", "2", "--alpha", "8", "--targets", "fc1",
                     "--norm-axis", "input", "--epochs", "1", "--quiet", "-o", dora])
        let loraAdapter = try TensorAdapterFile(path: lora).manifest, doraAdapter = try TensorAdapterFile(path: dora).manifest
        #expect(loraAdapter.baseFingerprint == checkpoint.fingerprint && loraAdapter.targets.map(\.tensor) == ["fc1.weight", "fc2.weight"])
        #expect(doraAdapter.method == "dora_column" && doraAdapter.targets.map(\.scaling) == [4] && doraAdapter.targets.map(\.tensor) == ["fc1.weight"])

        for adapter in [lora, dora] {
            let result = try run(["eval", base, "--adapter", adapter, "--data", data, "--compare-merged", "--json"])
            let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            let comparison = json?["comparison"] as? [String: Any]
            #expect(comparison?["differingPredictions"] as? Int == 0)
            #expect(((comparison?["maxLogitDifference"] as? Double) ?? 1) < 1e-3)
            let report = json?["report"] as? [String: Any]
            #expect(report?["images"] as? Int == 200)
        }
        let text = try run(["eval", base, "--data", data])
        #expect(text.stdout.contains("accuracy:") && text.stdout.contains("confusion matrix"))

        // Merging is another command's job; once it is available its output must evaluate like the unmerged adapter.
        let merged = folder.file("merged.h5")
        _ = try? ExternalProcess.adaptool(["merge", base, lora, "-o", merged])
        if FileManager.default.fileExists(atPath: merged) {
            let unmerged = try run(["eval", base, "--adapter", lora, "--data", data]).stdout
            let mergedText = try run(["eval", merged, "--data", data]).stdout
            func accuracyLine(_ text: String) -> String? { text.split(separator: "\n").first { $0.hasPrefix("accuracy:") }.map(String.init) }
            #expect(accuracyLine(unmerged) == accuracyLine(mergedText))
        }
    }

    @Test func refusesToOverwriteAndReportsBadDataOnOneLine() throws {
        let folder = try TemporaryDirectory()
        let data = try dataFolder(folder)
        let base = folder.file("base.h5")
        _ = try run(["train", "base", "--data", data, "--hidden", "8", "--epochs", "1", "--quiet", "-o", base])
        let again = try ExternalProcess.adaptool(["train", "base", "--data", data, "--hidden", "8", "--epochs", "1", "--quiet", "-o", base])
        #expect(again.status != 0 && again.stderr.contains("--force"))
        let missing = try ExternalProcess.adaptool(["train", "base", "--data", folder.file("nowhere"), "-o", folder.file("x.h5")])
        #expect(missing.status != 0 && missing.stderr.hasPrefix("adaptool: error: ") && missing.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: folder.file("x.h5")))
        try Data(repeating: 0, count: 100).write(to: URL(fileURLWithPath: data + "/test_batch.bin"))
        let bad = try ExternalProcess.adaptool(["eval", base, "--data", data])
        #expect(bad.status != 0 && bad.stderr.contains("not a multiple of 3073"))
    }

    @Test func interruptLeavesNoPartialOutput() throws {
        let folder = try TemporaryDirectory()
        let data = try dataFolder(folder)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PackagePaths.adaptoolBinary)
        process.arguments = ["train", "base", "--data", data, "--epochs", "1000", "--quiet", "-o", folder.file("base.h5"), "--metrics", folder.file("m.csv")]
        process.standardError = FileHandle.nullDevice
        try process.run()
        usleep(1_500_000)
        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        #expect(try folder.contents() == ["data"], "no output and no temporary file may be left")
    }
}
