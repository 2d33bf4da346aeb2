import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// The README's second library example (train → merge → export), run as written on small
/// synthetic data with paths moved into a temporary folder.
@Suite struct LibraryWorkflowExampleTests {
    @Test func readmeTrainMergeExportExampleRuns() throws {
        let dir = try TemporaryDirectory()
        try runReadmeExample(in: dir)
    }

    /// Run again in the same folder, the example replaces its outputs (`overwrite: true`) instead of
    /// dying with "Fatal error: Error raised at top level".
    @Test func readmeTrainMergeExportExampleRunsTwice() throws {
        let dir = try TemporaryDirectory()
        try runReadmeExample(in: dir)
        try runReadmeExample(in: dir)
        #expect(try dir.contents() == ["base.h5", "dora.h5", "merged-streamed.h5", "merged.h5", "merged.safetensors"])
    }

    /// The library's refusal of an existing output names no flag; the CLI's names `--force`.
    @Test func existingOutputIsLibraryWordedAndCLIWorded() throws {
        let dir = try TemporaryDirectory()
        try runReadmeExample(in: dir)
        let merged = dir.file("merged.h5")
        let library = #expect(throws: InteropError.self) {
            _ = try Interop.export(dir.file("base.h5"), to: dir.file("merged.safetensors"))
        }
        #expect(library.map { String(describing: $0) } == "\(dir.file("merged.safetensors")): already exists")
        let before = try Data(contentsOf: URL(fileURLWithPath: merged))
        let cli = try ExternalProcess.adaptool(["merge", dir.file("base.h5"), dir.file("dora.h5"), "-o", merged])
        #expect(cli.status == 1 && !cli.crashed)
        #expect(cli.stderr == "adaptool: error: \(merged): already exists; pass --force to replace it\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: merged)) == before)
        #expect(try !dir.contents().contains { $0.hasPrefix(".") })
    }

    /// The README's example with its paths in `dir` and small synthetic data.
    private func runReadmeExample(in dir: TemporaryDirectory) throws {
        let data = SyntheticCIFAR10.make(trainCount: 256, testCount: 64, seed: 3)
        let (base, _) = try TrainingRun.trainBase(hidden: [16, 8], data: data, settings: TrainingSettings(epochs: 1))
        let recipe = AdapterRecipe(method: .dora, rank: 4, scaling: 8, normAxis: .input)
        let (dora, record) = try TrainingRun.trainAdapter(base: base, recipe: recipe, data: data, settings: TrainingSettings(epochs: 1))
        #expect(record.testAccuracy != nil)

        let merged = try base.merged(with: [WeightedAdapter(dora)], baseFingerprint: base.computeFingerprint())
        let replace = WriteOptions(overwrite: true)
        try merged.write(to: dir.file("merged.h5"), options: replace)
        try base.write(to: dir.file("base.h5"), options: replace); try dora.write(to: dir.file("dora.h5"), options: replace)
        let streamed = try CheckpointMerge.merge(base: dir.file("base.h5"), adapters: [WeightedAdapter(dora, label: dir.file("dora.h5"))],
                                                 output: dir.file("merged-streamed.h5"), options: replace)
        _ = try Interop.export(dir.file("merged.h5"), to: dir.file("merged.safetensors"), options: replace)

        // Both merge paths give the same file content, and the export exists.
        #expect(streamed.fingerprint == merged.computeFingerprint())
        #expect(FileManager.default.fileExists(atPath: dir.file("merged.safetensors")))
        #expect(merged != base)
    }
}
