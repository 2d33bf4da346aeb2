import AdapterCore
import AdapterMath
import AdapterTestSupport
import Foundation
import Testing

/// Every refusal is one clear line and leaves no output file (spec/math.md §Refusals).
@Suite struct MergeRefusalTests {
    let dir: TemporaryDirectory
    let base = Checkpoint.random(sizes: [12, 8, 4], seed: 41)
    let basePath: String
    let output: String

    init() throws {
        dir = try TemporaryDirectory()
        basePath = dir.file("base.h5")
        output = dir.file("out.h5")
        try base.write(to: basePath)
    }

    func refuse(_ adapters: [WeightedAdapter], ignoreFingerprint: Bool = false) -> String? {
        do {
            _ = try CheckpointMerge.merge(base: basePath, adapters: adapters, output: output, ignoreFingerprint: ignoreFingerprint)
            return nil
        } catch {
            return String(describing: error)
        }
    }

    @Test func fingerprintMismatchNamesBothFingerprints() throws {
        let other = Checkpoint.random(sizes: [12, 8, 4], seed: 42)
        let adapter = Adapter.random(for: other, method: .lora, rank: 2, seed: 43)
        let message = try #require(refuse([WeightedAdapter(adapter, label: "a.h5")]))
        #expect(message.contains(other.computeFingerprint()) && message.contains(base.computeFingerprint()))
        #expect(!message.contains("\n"))
        #expect(!FileManager.default.fileExists(atPath: output))
        // Same shapes: --ignore-fingerprint lets it through.
        #expect(refuse([WeightedAdapter(adapter)], ignoreFingerprint: true) == nil)
        #expect(FileManager.default.fileExists(atPath: output))
    }

    @Test func shapeMismatchNamesLayerAndShapes() throws {
        let wide = Checkpoint.random(sizes: [12, 9, 4], seed: 44)
        var adapter = Adapter.random(for: wide, method: .lora, rank: 2, seed: 45)
        adapter.baseFingerprint = base.computeFingerprint()
        let message = try #require(refuse([WeightedAdapter(adapter, label: "a.h5")], ignoreFingerprint: true))
        #expect(message.contains("\"fc1\"") && message.contains("[9, 2]") && message.contains("[8, 12]"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func missingLayerIsNamed() throws {
        var adapter = Adapter.random(for: base, method: .lora, rank: 2, seed: 46)
        adapter.layers[0].name = "fc9"
        let message = try #require(refuse([WeightedAdapter(adapter, label: "a.h5")]))
        #expect(message.contains("\"fc9\"") && message.contains("fc1, fc2"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func nanInAdapterIsRefused() throws {
        var adapter = Adapter.random(for: base, method: .lora, rank: 2, seed: 47)
        adapter.layers[1].b.values[3] = .nan
        let message = try #require(refuse([WeightedAdapter(adapter, label: "a.h5")]))
        #expect(message.contains("\"fc2\"") && message.contains("NaN"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func overflowingResultIsRefusedNamingTheLayer() throws {
        var adapter = Adapter.random(for: base, method: .lora, rank: 2, seed: 48)
        adapter.layers[1].scaling = 1e38   // finite input, infinite float32 result
        let message = try #require(refuse([WeightedAdapter(adapter, weight: 1e10)]))
        #expect(message.contains("\"fc2\"") && message.contains("NaN or infinity"))
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(try dir.contents() == ["base.h5"])   // not even a temporary file
    }

    @Test func doraWithAnotherAdapterIsRefused() throws {
        let dora = Adapter.random(for: base, method: .dora, rank: 2, seed: 49)
        let lora = Adapter.random(for: base, method: .lora, rank: 2, seed: 50)
        let message = try #require(refuse([WeightedAdapter(dora), WeightedAdapter(lora)]))
        #expect(message.contains("DoRA") && message.contains("absolute"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func existingOutputIsKeptUnlessForced() throws {
        let adapter = Adapter.random(for: base, method: .lora, rank: 2, seed: 51)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: output))
        #expect(refuse([WeightedAdapter(adapter)])?.contains("already exists") == true)
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "keep me")
        _ = try CheckpointMerge.merge(base: basePath, adapters: [WeightedAdapter(adapter)], output: output, options: WriteOptions(overwrite: true))
        #expect(try CheckpointFile(path: output).layerNames == ["fc1", "fc2"])
    }

    @Test func outputMayNotBeAnInput() throws {
        let adapter = Adapter.random(for: base, method: .lora, rank: 2, seed: 52)
        let before = try Data(contentsOf: URL(fileURLWithPath: basePath))
        #expect(throws: MergeError.outputIsInput(path: basePath)) {
            try CheckpointMerge.merge(base: basePath, adapters: [WeightedAdapter(adapter)], output: basePath, options: WriteOptions(overwrite: true))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: basePath)) == before)
    }
}
