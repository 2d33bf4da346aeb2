import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// The README's "any model" library example, run as written with its paths moved into a temporary
/// folder holding copies of the fixture folders (no change of working directory: tests run in parallel).
@Suite struct LibraryModelExampleTests {
    @Test func readmeAnyModelExampleRuns() throws {
        let dir = try TemporaryDirectory()
        let files = FileManager.default
        for name in ["llama-bf16", "llama-bf16-lora"] {
            try files.copyItem(atPath: PackagePaths.fixtures + "/transformers/" + name, toPath: dir.file(name))
        }
        let model = try #require(ModelFolder.detect(dir.file("llama-bf16")))
        let summary = try ModelFolderMerge.run(model: model, adapters: [(path: dir.file("llama-bf16-lora"), weight: 1)], output: dir.file("merged-llama"))
        #expect(summary.merge.changed.count == 4)
        let before = try TensorSources.open(dir.file("llama-bf16")), after = try TensorSources.open(dir.file("merged-llama"))
        let difference = try TensorSetDiff.compare(before.reader, after.reader, labels: (before.path, after.path))
        #expect(Set(difference.changedModules) == Set(summary.merge.changed.map { String($0.dropLast(".weight".count)) }))
        #expect(difference.summaryLine.hasPrefix("different: 4 of "))
        let method = try LowRankMethods.named("dora")
        #expect(method.factorShapes(out: 64, inputs: 32, rank: 4).map(\.shape) == [[4, 32], [64, 4], [64]])
    }
}
