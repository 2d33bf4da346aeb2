import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// `adaptool import v1.h5 -o v2.h5`: v1 checkpoints and adapters rewritten as v2, and the generic
/// (v2) merge of the upgraded files agreeing bit for bit with the v1 merge of the originals.
@Suite struct FormatUpgradeCLITests {
    let dir: TemporaryDirectory
    let base = Checkpoint.random(sizes: [16, 12, 5], seed: 201)

    init() throws {
        dir = try TemporaryDirectory()
        try base.write(to: dir.file("base.h5"))
    }

    func run(_ arguments: [String]) throws -> ProcessResult { try ExternalProcess.adaptool(arguments) }

    @Test func upgradedCheckpointKeepsEveryValueAndTheMLPDescription() throws {
        var described = base
        described.metadata = CheckpointMetadata(inputShape: [1, 4, 4], normalizationMean: [0.5], normalizationStd: [0.25], classNames: ["a", "b", "c", "d", "e"])
        try described.write(to: dir.file("described.h5"))
        let result = try run(["import", dir.file("described.h5"), "-o", dir.file("v2.h5")])
        #expect(result.status == 0, "\(result.stderr)")
        let upgraded = try TensorCheckpointFile(path: dir.file("v2.h5"))
        #expect(upgraded.architecture == "mlp")
        #expect(upgraded.metadata.layerOrder == described.layerNames && upgraded.metadata.activation == "relu")
        #expect(upgraded.metadata.inputShape == [1, 4, 4] && upgraded.metadata.classNames == ["a", "b", "c", "d", "e"])
        #expect(upgraded.metadata.normalizationMean == [0.5] && upgraded.metadata.normalizationStd == [0.25])
        for layer in described.layers {
            #expect(try upgraded.float64Values(of: layer.name + ".weight") == layer.weight.values.map(Double.init))
            #expect(try upgraded.float64Values(of: layer.name + ".bias") == layer.bias.map(Double.init))
        }
        #expect(result.stdout.contains(upgraded.fingerprint))
        #expect(try run(["inspect", "--verify", dir.file("v2.h5")]).status == 0)
    }

    @Test(arguments: [(AdapterMethod.lora, NormAxis?.none), (.dora, .output), (.dora, .input)])
    func mergeOfUpgradedFilesEqualsTheV1Merge(method: AdapterMethod, axis: NormAxis?) throws {
        let adapter = Adapter.random(for: base, method: method, rank: 3, scaling: 1.5, normAxis: axis ?? .output, seed: 202)
        try adapter.write(to: dir.file("a1.h5"))
        #expect(try run(["import", dir.file("base.h5"), "-o", dir.file("b2.h5")]).status == 0)
        let upgrade = try run(["import", dir.file("a1.h5"), "--base", dir.file("base.h5"), "-o", dir.file("a2.h5")])
        #expect(upgrade.status == 0, "\(upgrade.stderr)")
        let v2Adapter = try TensorAdapterFile(path: dir.file("a2.h5"))
        #expect(v2Adapter.manifest.baseFingerprint == (try TensorCheckpointFile(path: dir.file("b2.h5"))).fingerprint)
        #expect(try run(["merge", dir.file("base.h5"), dir.file("a1.h5"), "-o", dir.file("m1.h5")]).status == 0)
        let merge = try run(["merge", dir.file("b2.h5"), dir.file("a2.h5"), "-o", dir.file("m2.h5")])
        #expect(merge.status == 0, "\(merge.stderr)")
        let v1 = try CheckpointFile(path: dir.file("m1.h5")), v2 = try TensorCheckpointFile(path: dir.file("m2.h5"))
        for info in v1.tensors { #expect(try v2.rawBytes(of: info.name) == (try v1.rawBytes(of: info.name)), "\(info.name)") }
    }

    @Test func anAdapterWithTheWrongBaseIsRefusedInOneLine() throws {
        let adapter = Adapter.random(for: base, method: .lora, rank: 2, seed: 203)
        try adapter.write(to: dir.file("a1.h5"))
        try Checkpoint.random(sizes: [16, 12, 5], seed: 204).write(to: dir.file("other.h5"))
        let result = try run(["import", dir.file("a1.h5"), "--base", dir.file("other.h5"), "-o", dir.file("a2.h5")])
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("base_fingerprint"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("a2.h5")))
    }
}
