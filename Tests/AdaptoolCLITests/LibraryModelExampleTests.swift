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
        #expect(try runReadmeExample(in: dir) == nil)
        // Run again in the same folder: the existing output folder is refused in one line, and the
        // rest of the example goes on (no "Fatal error: Error raised at top level").
        let again = try runReadmeExample(in: dir)
        #expect(again == "\(dir.file("merged-llama")): is a folder; adaptool never replaces a folder (remove it or choose another path)")
    }

    /// The README's example with its paths in `dir`; returns the line its `catch` prints, if any.
    private func runReadmeExample(in dir: TemporaryDirectory) throws -> String? {
        var printed: String?
        let model = try #require(ModelFolder.detect(dir.file("llama-bf16")))
        do {
            let summary = try ModelFolderMerge.run(model: model, adapters: [(path: dir.file("llama-bf16-lora"), weight: 1)], output: dir.file("merged-llama"))
            #expect(Set(summary.merge.changed.map { String($0.dropLast(".weight".count)) }).count == 4)
        } catch {
            printed = String(describing: error)
        }
        let before = try TensorSources.open(dir.file("llama-bf16")), after = try TensorSources.open(dir.file("merged-llama"))
        let difference = try TensorSetDiff.compare(before.reader, after.reader, labels: (before.path, after.path))
        #expect(Set(difference.changedModules).count == 4)
        #expect(difference.summaryLine.hasPrefix("different: 4 of "))
        let method = try LowRankMethods.named("dora")
        #expect(method.factorShapes(out: 64, inputs: 32, rank: 4).map(\.shape) == [[4, 32], [64, 4], [64]])
        return printed
    }
}
