import AdapterCore
import AdapterMath
import AdapterTestSupport
import Foundation
import Testing

/// The file-level merge and unmerge: same numbers as the in-memory merge, provenance, restoration.
@Suite struct StreamingMergeTests {
    let dir: TemporaryDirectory
    let base = Checkpoint.random(sizes: [20, 14, 6], seed: 61)
    let basePath: String

    init() throws {
        dir = try TemporaryDirectory()
        basePath = dir.file("base.h5")
        var described = base
        described.metadata.classNames = (0..<6).map { "class\($0)" }
        try described.write(to: basePath)
    }

    @Test func streamingMergeWritesTheInMemoryResultWithProvenance() throws {
        let adapter = Adapter.random(for: base, method: .lora, rank: 3, seed: 62)
        let entry = WeightedAdapter(adapter, weight: 0.5, label: dir.file("a.h5"))
        let summary = try CheckpointMerge.merge(base: basePath, adapters: [entry], output: dir.file("merged.h5"))
        let file = try CheckpointFile(path: dir.file("merged.h5"))
        let expected = try base.merged(with: [entry], baseFingerprint: base.computeFingerprint())
        #expect(try file.read().layers == expected.layers)
        #expect(file.storedFingerprint == summary.fingerprint && summary.fingerprint == expected.computeFingerprint())
        #expect(file.metadata.classNames?.count == 6)

        let provenance = try JSONDecoder().decode(MergeProvenance.self, from: Data(try #require(file.metadata.provenance).utf8))
        #expect(provenance.operation == "merge")
        #expect(provenance.inputFingerprint == base.computeFingerprint())
        #expect(provenance.adapters.first?.baseFingerprint == adapter.baseFingerprint)
        #expect(provenance.adapters.first?.adapterFingerprint == adapter.contentFingerprint)
        #expect(provenance.adapters.first?.weight == 0.5)
        #expect(provenance.tool == FormatV1.toolVersion)
    }

    @Test func unmergeRestoresTheBase() throws {
        let adapter = Adapter.random(for: base, method: .lora, rank: 3, scaling: 0.7, seed: 63)
        let entry = WeightedAdapter(adapter, weight: 1.5)
        _ = try CheckpointMerge.merge(base: basePath, adapters: [entry], output: dir.file("merged.h5"))
        _ = try CheckpointMerge.unmerge(merged: dir.file("merged.h5"), adapters: [entry], output: dir.file("restored.h5"))
        let restored = try Checkpoint.read(from: dir.file("restored.h5"))
        for (original, back) in zip(base.layers, restored.layers) {
            let scale = Double(original.weight.maxAbsoluteValue)
            let error = zip(original.weight.values, back.weight.values).map { abs(Double($0) - Double($1)) }.max() ?? 0
            // Two float32 roundings (merge, unmerge) of values up to max|W'|: a few ε₃₂.
            #expect(error <= 4 * Double(Float.ulpOfOne) * max(scale, 4))
            #expect(back.bias == original.bias)
        }
    }

    @Test func doraUnmergeIsRefusedWithTheReason() throws {
        let adapter = Adapter.random(for: base, method: .dora, rank: 2, seed: 64)
        #expect(throws: MergeError.notInvertible(reason: AdapterMerge.doraNotInvertibleReason)) {
            try CheckpointMerge.unmerge(merged: basePath, adapters: [WeightedAdapter(adapter)], output: dir.file("x.h5"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("x.h5")))
        #expect(AdapterMerge.doraNotInvertibleReason.contains("norms"))
    }
}
