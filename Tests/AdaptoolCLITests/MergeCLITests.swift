import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// `adaptool merge`, `unmerge`, `diff` and `extract` run as a user runs them.
@Suite struct MergeCLITests {
    let dir: TemporaryDirectory
    let base = Checkpoint.random(sizes: [16, 12, 5], seed: 101)
    let lora: Adapter
    let dora: Adapter

    init() throws {
        dir = try TemporaryDirectory()
        try base.write(to: dir.file("base.h5"))
        lora = Adapter.random(for: base, method: .lora, rank: 3, scaling: 1.5, seed: 102)
        dora = Adapter.random(for: base, method: .dora, rank: 2, normAxis: .input, seed: 103)
        try lora.write(to: dir.file("lora.h5"))
        try dora.write(to: dir.file("dora.h5"))
    }

    func run(_ arguments: [String]) throws -> ProcessResult { try ExternalProcess.adaptool(arguments) }

    @Test func mergeWritesWhatTheLibraryComputes() throws {
        let result = try run(["merge", dir.file("base.h5"), dir.file("lora.h5"), "-o", dir.file("m.h5"), "--scale", "0.5"])
        #expect(result.status == 0, "\(result.stderr)")
        let expected = try base.merged(with: [WeightedAdapter(lora, weight: 0.5)], baseFingerprint: base.computeFingerprint())
        #expect(try Checkpoint.read(from: dir.file("m.h5")).layers == expected.layers)
        #expect(result.stdout.contains("fingerprint \(expected.computeFingerprint())"))
        let compressed = try run(["merge", dir.file("base.h5"), dir.file("lora.h5"), "-o", dir.file("c.h5"), "--scale", "0.5", "--compress"])
        #expect(compressed.status == 0, "\(compressed.stderr)")
        #expect(try Checkpoint.read(from: dir.file("c.h5")).layers == expected.layers)
    }

    @Test func mergeMatchesAnIndependentNumpyMerge() throws {
        #expect(try run(["merge", dir.file("base.h5"), dir.file("dora.h5"), "-o", dir.file("m.h5")]).status == 0)
        let script = """
        import h5py, numpy as np, sys
        base, ad, out = (h5py.File(p, "r") for p in sys.argv[1:4])
        worst = 0.0
        for name in [n.decode() if isinstance(n, bytes) else n for n in base.attrs["layer_names"]]:
            W = base["layers"][name]["weight"][()].astype(np.float64)
            g = ad["layers"][name]
            V = W + float(ad.attrs["scaling"]) * g["lora_B"][()].astype(np.float64) @ g["lora_A"][()].astype(np.float64)
            axis = 0 if ad.attrs["norm_axis"] == "input" else 1
            m = g["magnitude"][()].astype(np.float64)
            norms = np.linalg.norm(V, axis=axis, keepdims=True)
            ref = (m[np.newaxis, :] if axis == 0 else m[:, np.newaxis]) * V / norms
            worst = max(worst, np.abs(out["layers"][name]["weight"][()] - ref).max() / np.abs(W).max())
        print(worst)
        """
        let check = try ExternalProcess.python(["-c", script, dir.file("base.h5"), dir.file("dora.h5"), dir.file("m.h5")])
        #expect(check.status == 0, "\(check.stderr)")
        #expect((Double(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 1) < 1e-6)
    }

    @Test func severalAdaptersWithWeights() throws {
        let second = Adapter.random(for: base, method: .lora, rank: 2, seed: 104)
        try second.write(to: dir.file("second.h5"))
        let result = try run(["merge", dir.file("base.h5"), dir.file("lora.h5"), dir.file("second.h5"), "-o", dir.file("m.h5"), "--weights", "0.7,0.3"])
        #expect(result.status == 0, "\(result.stderr)")
        let expected = try base.merged(with: [WeightedAdapter(lora, weight: 0.7), WeightedAdapter(second, weight: 0.3)], baseFingerprint: base.computeFingerprint())
        #expect(try Checkpoint.read(from: dir.file("m.h5")).layers == expected.layers)
        let bad = try run(["merge", dir.file("base.h5"), dir.file("lora.h5"), "-o", dir.file("n.h5"), "--weights", "0.7,0.3"])
        #expect(bad.status != 0 && bad.stderr.contains("--weights"))
    }

    @Test func refusalsPrintOneLineAndWriteNothing() throws {
        let other = Checkpoint.random(sizes: [16, 12, 5], seed: 105)
        try Adapter.random(for: other, method: .lora, rank: 2, seed: 106).write(to: dir.file("foreign.h5"))
        let foreign = try run(["merge", dir.file("base.h5"), dir.file("foreign.h5"), "-o", dir.file("m.h5")])
        #expect(foreign.status == 1)
        #expect(foreign.stderr.hasPrefix("adaptool: error: ") && foreign.stderr.split(separator: "\n").count == 1)
        #expect(foreign.stderr.contains(base.computeFingerprint()) && foreign.stderr.contains(other.computeFingerprint()))
        #expect(foreign.stderr.contains("pass --ignore-fingerprint"), "the CLI adds the flag that helps: \(foreign.stderr)")

        let mixed = try run(["merge", dir.file("base.h5"), dir.file("dora.h5"), dir.file("lora.h5"), "-o", dir.file("m.h5")])
        #expect(mixed.status == 1 && mixed.stderr.contains("DoRA"))
        #expect(try dir.contents() == ["base.h5", "dora.h5", "foreign.h5", "lora.h5"])

        let ignored = try run(["merge", dir.file("base.h5"), dir.file("foreign.h5"), "-o", dir.file("m.h5"), "--ignore-fingerprint"])
        #expect(ignored.status == 0)
    }

    @Test func existingOutputIsKeptUnlessForced() throws {
        try Data("precious".utf8).write(to: URL(fileURLWithPath: dir.file("m.h5")))
        let refused = try run(["merge", dir.file("base.h5"), dir.file("lora.h5"), "-o", dir.file("m.h5")])
        #expect(refused.status == 1 && refused.stderr.contains("--force"))
        #expect(try String(contentsOfFile: dir.file("m.h5"), encoding: .utf8) == "precious")
        #expect(try run(["merge", dir.file("base.h5"), dir.file("lora.h5"), "-o", dir.file("m.h5"), "--force"]).status == 0)
        #expect(try CheckpointFile(path: dir.file("m.h5")).layerNames == ["fc1", "fc2"])
    }

    @Test func unmergeRestoresAndRefusesDoRA() throws {
        #expect(try run(["merge", dir.file("base.h5"), dir.file("lora.h5"), "-o", dir.file("m.h5")]).status == 0)
        let restored = try run(["unmerge", dir.file("m.h5"), dir.file("lora.h5"), "-o", dir.file("r.h5")])
        #expect(restored.status == 0, "\(restored.stderr)")
        let same = try run(["diff", dir.file("base.h5"), dir.file("r.h5"), "--atol", "1e-6", "--rtol", "1e-6", "--no-rank"])
        #expect(same.status == 0, "\(same.stdout)")

        let refused = try run(["unmerge", dir.file("m.h5"), dir.file("dora.h5"), "-o", dir.file("x.h5")])
        #expect(refused.status == 1 && refused.stderr.contains("norms"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("x.h5")))
    }

    @Test func diffExitCodesFollowDiff1() throws {
        #expect(try run(["merge", dir.file("base.h5"), dir.file("lora.h5"), "-o", dir.file("m.h5")]).status == 0)
        let same = try run(["diff", dir.file("base.h5"), dir.file("base.h5")])
        #expect(same.status == 0 && same.stdout.contains("same"))
        let different = try run(["diff", dir.file("base.h5"), dir.file("m.h5")])
        #expect(different.status == 1 && different.stdout.contains("2 of 2 layers differ"))
        // Each layer's ΔW = scaling·B·A has rank 3.
        let json = try run(["diff", dir.file("base.h5"), dir.file("m.h5"), "--json"])
        #expect(json.status == 1)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let layers = try #require(document["layers"] as? [[String: Any]])
        #expect(layers.compactMap { ($0["weight"] as? [String: Any])?["numericalRank"] as? Int } == [3, 3])
        let trouble = try run(["diff", dir.file("base.h5"), dir.file("missing.h5")])
        #expect(trouble.status == 2 && trouble.stderr.hasPrefix("adaptool: error: "))
        let mixed = try run(["diff", dir.file("base.h5"), dir.file("lora.h5")])
        #expect(mixed.status == 2 && mixed.stderr.contains("adapter"))
        let adapters = try run(["diff", dir.file("lora.h5"), dir.file("lora.h5")])
        #expect(adapters.status == 0)
    }

    @Test func extractRecoversTheMergedAdapter() throws {
        #expect(try run(["merge", dir.file("base.h5"), dir.file("lora.h5"), "-o", dir.file("m.h5")]).status == 0)
        let extracted = try run(["extract", dir.file("base.h5"), dir.file("m.h5"), "--rank", "3", "-o", dir.file("x.h5")])
        #expect(extracted.status == 0, "\(extracted.stderr)")
        #expect(extracted.stdout.contains("100.00%"))
        #expect(try run(["merge", dir.file("base.h5"), dir.file("x.h5"), "-o", dir.file("m2.h5")]).status == 0)
        let compared = try run(["diff", dir.file("m.h5"), dir.file("m2.h5"), "--atol", "1e-5", "--no-rank"])
        #expect(compared.status == 0, "\(compared.stdout)")
        let effect = try run(["diff", dir.file("lora.h5"), dir.file("x.h5"), "--atol", "1e-5"])
        #expect(effect.status == 0 && effect.stdout.contains("factors differ but the products B·A match"), "\(effect.stdout)")
    }
}
