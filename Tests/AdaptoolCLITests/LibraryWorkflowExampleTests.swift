import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// The README's second library example (train → merge → export), run as written on small
/// synthetic data with paths moved into a temporary folder.
@Suite struct LibraryWorkflowExampleTests {
    @Test func readmeTrainMergeExportExampleRuns() throws {
        let dir = try TemporaryDirectory()
        let data = SyntheticCIFAR10.make(trainCount: 256, testCount: 64, seed: 3)
        let (base, _) = try TrainingRun.trainBase(hidden: [16, 8], data: data, settings: TrainingSettings(epochs: 1))
        let recipe = AdapterRecipe(method: .dora, rank: 4, scaling: 8, normAxis: .input)
        let (dora, record) = try TrainingRun.trainAdapter(base: base, recipe: recipe, data: data, settings: TrainingSettings(epochs: 1))
        #expect(record.testAccuracy != nil)

        let merged = try base.merged(with: [WeightedAdapter(dora)], baseFingerprint: base.computeFingerprint())
        try merged.write(to: dir.file("merged.h5"))
        try base.write(to: dir.file("base.h5"))
        try dora.write(to: dir.file("dora.h5"))
        let streamed = try CheckpointMerge.merge(base: dir.file("base.h5"), adapters: [WeightedAdapter(dora, label: dir.file("dora.h5"))],
                                                 output: dir.file("merged-streamed.h5"))
        _ = try Interop.export(dir.file("merged.h5"), to: dir.file("merged.safetensors"))

        // Both merge paths give the same file content, and the export exists.
        #expect(streamed.fingerprint == merged.computeFingerprint())
        #expect(FileManager.default.fileExists(atPath: dir.file("merged.safetensors")))
        #expect(merged != base)
    }
}
