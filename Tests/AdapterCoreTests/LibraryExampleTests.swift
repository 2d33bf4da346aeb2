import Foundation
import Testing
import AdapterCore
import AdapterTestSupport

/// The README's library example, run as written (paths moved into a temporary folder).
@Suite struct LibraryExampleTests {
    @Test func readmeExampleRuns() throws {
        let dir = try TemporaryDirectory()
        try Checkpoint.random(sizes: [12, 8, 3], seed: 1).write(to: dir.file("base.h5"))
        try runReadmeExample(in: dir)
    }

    /// Run twice in the same folder (a user running their program again), the example replaces
    /// lora.h5 instead of dying with "Fatal error: Error raised at top level".
    @Test func readmeExampleRunsTwice() throws {
        let dir = try TemporaryDirectory()
        try Checkpoint.random(sizes: [12, 8, 3], seed: 1).write(to: dir.file("base.h5"))
        try runReadmeExample(in: dir)
        try runReadmeExample(in: dir)
        #expect(try dir.contents() == ["base.h5", "lora.h5"])
    }

    /// Without `overwrite: true` an existing output is refused with one line in library terms:
    /// the file and what is wrong, no command-line flag (the CLI adds `--force`).
    @Test func existingOutputErrorNamesNoFlag() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("lora.h5")
        try Checkpoint.random(sizes: [12, 8, 3], seed: 1).write(to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: FormatError.outputExists(path: path)) {
            try Checkpoint.random(sizes: [12, 8, 3], seed: 2).write(to: path)
        }
        let message = FormatError.outputExists(path: path).description
        #expect(message == "\(path): already exists")
        #expect(!message.contains("--force") && !message.contains("\n"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try dir.contents() == ["lora.h5"])
    }

    /// The README's first library example with its paths in `dir` (which holds base.h5).
    private func runReadmeExample(in dir: TemporaryDirectory) throws {
        let basePath = dir.file("base.h5"), loraPath = dir.file("lora.h5")
        let file = try CheckpointFile(path: basePath)
        let base = try file.read()
        let fc1 = try file.readLayer("fc1")
        let rank = 4
        let layers = base.layers.map { layer in
            AdapterLayer(name: layer.name,
                         a: Matrix(rows: rank, columns: layer.inputSize, repeating: 0.01),
                         b: Matrix(rows: layer.outputSize, columns: rank),
                         scaling: 2)
        }
        let adapter = Adapter(method: .lora, rank: rank, alpha: 8, scaling: 2,
                              baseFingerprint: file.storedFingerprint, layers: layers)
        try adapter.write(to: loraPath, options: WriteOptions(compressionLevel: 4, overwrite: true))
        let again = try Adapter.read(from: loraPath)
        let report = try FileInspection.inspect(path: loraPath, base: basePath, verify: true)

        #expect(fc1 == base.layers[0])
        #expect(again == adapter)
        #expect(report.isVerified)
        #expect(report.adapter?.shareOfBase == Double(again.parameterCount) / Double(base.parameterCount))
        #expect(report.datasets.allSatisfy { $0.compression == "shuffle+deflate(4)" })
    }
}
