import Foundation
import Testing
import AdapterCore
import AdapterTestSupport

/// The README's library example, run as written (paths moved into a temporary folder).
@Suite struct LibraryExampleTests {
    @Test func readmeExampleRuns() throws {
        let dir = try TemporaryDirectory()
        let basePath = dir.file("base.h5"), loraPath = dir.file("lora.h5")
        try Checkpoint.random(sizes: [12, 8, 3], seed: 1).write(to: basePath)

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
        try adapter.write(to: loraPath, options: WriteOptions(compressionLevel: 4))
        let again = try Adapter.read(from: loraPath)
        let report = try FileInspection.inspect(path: loraPath, base: basePath, verify: true)

        #expect(fc1 == base.layers[0])
        #expect(again == adapter)
        #expect(report.isVerified)
        #expect(report.adapter?.shareOfBase == Double(again.parameterCount) / Double(base.parameterCount))
        #expect(report.datasets.allSatisfy { $0.compression == "shuffle+deflate(4)" })
    }
}
