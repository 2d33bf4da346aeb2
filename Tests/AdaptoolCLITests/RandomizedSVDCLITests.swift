import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// `extract` and `diff` with the randomized SVD by default and `--exact` (issue 11, item 3), checked
/// against numpy (Tests/Scripts/svd_pair.py: numpy.linalg.svd in float64 on the same files).
@Suite struct RandomizedSVDCLITests {
    static let script = PackagePaths.root + "/Tests/Scripts/svd_pair.py"
    /// Committed pair (128 × 96, rank-4 update + noise, made by svd_pair.py make … --seed 1) whose
    /// `extract --rank 4` the baseline binary (before issue 11) factored by the full SVD.
    static let fixture = PackagePaths.fixtures + "/svd"
    /// sha256 of the factors the baseline binary wrote for that pair (svd_pair.py digests), v2 and v1.
    static let baselineDigests: [String: [String: String]] = [
        "model": [
            "targets/model.layers.0.mlp.down_proj.weight/A": "60782d6107a833e357147613c203bdf526abd2114b6cdcc5b6035aceb63826ba",
            "targets/model.layers.0.mlp.down_proj.weight/B": "9bfb50a6f4c4ddcfe440009fbd0f33f699fe6d89ef277bf9d7152cf79deb3383",
        ],
        "mlp": ["layers/fc1/lora_A": "60782d6107a833e357147613c203bdf526abd2114b6cdcc5b6035aceb63826ba", "layers/fc1/lora_B": "9bfb50a6f4c4ddcfe440009fbd0f33f699fe6d89ef277bf9d7152cf79deb3383"],
    ]

    let dir: TemporaryDirectory
    init() throws { dir = try TemporaryDirectory() }

    /// Runs svd_pair.py; returns its stdout, requiring exit 0.
    func python(_ arguments: [String]) throws -> String {
        let result = try ExternalProcess.python([Self.script] + arguments)
        try #require(result.status == 0, "svd_pair.py \(arguments): \(result.stderr)")
        return result.stdout
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// The base and tuned files of `format` ("model": .safetensors, extracted to v2; "mlp": imported as v1 .h5).
    func inputs(_ format: String, in folder: String) throws -> (base: String, tuned: String) {
        guard format == "mlp" else { return (folder + "/model_base.safetensors", folder + "/model_tuned.safetensors") }
        for side in ["base", "tuned"] where !FileManager.default.fileExists(atPath: dir.file("\(side).h5")) {
            let result = try ExternalProcess.adaptool(["import", folder + "/mlp_\(side).safetensors", "-o", dir.file("\(side).h5")])
            try #require(result.status == 0, "\(result.stderr)")
        }
        return (dir.file("base.h5"), dir.file("tuned.h5"))
    }

    /// Runs extract, requiring success with nothing on stderr and no temporary file left; returns the printed share.
    func extract(_ base: String, _ tuned: String, rank: Int, output: String, exact: Bool = false) throws -> Double {
        let result = try ExternalProcess.adaptool(["extract", base, tuned, "--rank", String(rank), "-o", output] + (exact ? ["--exact"] : []))
        #expect(!result.crashed && result.status == 0 && result.stderr.isEmpty, "\(result.status): \(result.stderr)")
        #expect(try InputTest.leftovers(in: dir.path).isEmpty)
        let cell = try #require(result.stdout.split(whereSeparator: \.isWhitespace).first { $0.hasSuffix("%") }, "\(result.stdout)")
        return try #require(Double(cell.dropLast())) / 100
    }

    /// The captured share printed for the randomized factors is the true share of what was written
    /// (numpy: 1 − ‖ΔW − B·A‖²/‖ΔW‖² from the stored factors) and within 1e-3 of the exact SVD's.
    @Test(arguments: ["lowrank", "slow", "flat"], ["model", "mlp"])
    func capturedShareMatchesNumpy(spectrum: String, format: String) throws {
        let pair = dir.file("pair")
        _ = try python(["make", pair, "--rows", "160", "--cols", "120", "--spectrum", spectrum, "--rank", "6", "--noise", "1e-4", "--seed", "3"])
        let (base, tuned) = try inputs(format, in: pair)
        let randomized = try extract(base, tuned, rank: 6, output: dir.file("r.h5"))
        let exact = try extract(base, tuned, rank: 6, output: dir.file("e.h5"), exact: true)
        let reference = try json(python(["check", pair + "/\(format)_base.safetensors", pair + "/\(format)_tuned.safetensors", "--adapter", dir.file("r.h5"), "--rank", "6"]))
        let exactShare = try #require(reference["exact_share"] as? Double), written = try #require(reference["written_share"] as? Double)
        // Printed as a percentage with two decimals: ±5e-5.
        #expect(abs(randomized - written) <= 5.1e-5, "\(spectrum) \(format): printed \(randomized), numpy \(written)")
        #expect(abs(exact - exactShare) <= 5.1e-5, "\(spectrum) \(format): --exact printed \(exact), numpy \(exactShare)")
        #expect(abs(written - exactShare) < 1e-3, "\(spectrum) \(format): randomized \(written) vs exact \(exactShare)")
    }

    /// The same inputs give the same factor bytes (the Gaussian sample is seeded; the files as a whole
    /// differ where HDF5 headers record times, as they do for the baseline binary), and `--exact`
    /// writes exactly the factors the baseline binary's full SVD wrote.
    @Test(arguments: ["model", "mlp"])
    func deterministicAndExactUnchanged(format: String) throws {
        let (base, tuned) = try inputs(format, in: Self.fixture)
        _ = try extract(base, tuned, rank: 4, output: dir.file("one.h5"))
        _ = try extract(base, tuned, rank: 4, output: dir.file("two.h5"))
        #expect(try python(["digests", dir.file("one.h5")]) == python(["digests", dir.file("two.h5")]))
        _ = try extract(base, tuned, rank: 4, output: dir.file("exact.h5"), exact: true)
        let digests = try #require(try json(python(["digests", dir.file("exact.h5")])) as? [String: String])
        #expect(digests == Self.baselineDigests[format], "\(format): \(digests)")
    }

    /// diff's numerical rank, randomized and `--exact`, equals numpy's count with the same tolerance:
    /// an exact low rank (the probe of 64 suffices), a fast decay, and full-rank noise (the fallback).
    @Test(arguments: [("lowrank", 8, 0.0), ("fast", 0, 0.0), ("lowrank", 3, 1e-3)])
    func diffRankMatchesNumpy(spectrum: String, rank: Int, noise: Double) throws {
        let pair = dir.file("pair")
        _ = try python(["make", pair, "--rows", "320", "--cols", "300", "--spectrum", spectrum, "--rank", String(rank), "--noise", String(noise), "--seed", "4"])
        let reference = try json(python(["check", pair + "/model_base.safetensors", pair + "/model_tuned.safetensors", "--rank", "1"]))
        var ranks: [Int] = []
        for flags in [[], ["--exact"]] {
            let result = try ExternalProcess.adaptool(["diff", pair + "/model_base.safetensors", pair + "/model_tuned.safetensors", "--json"] + flags)
            #expect(!result.crashed && result.status == 1 && result.stderr.isEmpty, "\(result.stderr)")
            let tensors = try #require(try json(result.stdout)["tensors"] as? [[String: Any]])
            let values = try #require(tensors.first?["values"] as? [String: Any])
            ranks.append(try #require(values["numericalRank"] as? Int))
        }
        #expect(ranks == [reference["rank"] as? Int, reference["rank"] as? Int].compactMap { $0 }, "\(spectrum): \(ranks) vs numpy \(reference["rank"] ?? "-")")
    }

    /// Rank ≥ min(m, n), a single row, an unchanged weight and NaN: as with the full SVD.
    @Test func edgeCases() throws {
        let pair = dir.file("pair")
        _ = try python(["make", pair, "--rows", "128", "--cols", "96", "--spectrum", "slow", "--seed", "5"])
        #expect(try extract(pair + "/model_base.safetensors", pair + "/model_tuned.safetensors", rank: 500, output: dir.file("full.h5")) == 1)
        let row = dir.file("row")
        _ = try python(["make", row, "--rows", "1", "--cols", "300", "--spectrum", "slow", "--seed", "6"])
        #expect(try extract(row + "/model_base.safetensors", row + "/model_tuned.safetensors", rank: 1, output: dir.file("row.h5")) == 1)
        let same = try ExternalProcess.adaptool(["extract", pair + "/model_base.safetensors", pair + "/model_base.safetensors", "--rank", "4", "-o", dir.file("same.h5")])
        InputTest.expectOneErrorLine(same, naming: pair + "/model_base.safetensors", containing: "no update to extract")
        let bad = dir.file("nan")
        _ = try python(["make", bad, "--rows", "128", "--cols", "96", "--spectrum", "lowrank", "--rank", "4", "--seed", "7", "--nan"])
        try "old".write(toFile: dir.file("out.h5"), atomically: false, encoding: .utf8)
        for flags in [[], ["--exact"]] {
            let result = try ExternalProcess.adaptool(["extract", bad + "/model_base.safetensors", bad + "/model_tuned.safetensors", "--rank", "4", "-o", dir.file("out.h5"), "--force"] + flags)
            InputTest.expectOneErrorLine(result, naming: "model.layers.0.mlp.down_proj.weight", containing: "contains NaN or infinity")
            #expect(try String(contentsOfFile: dir.file("out.h5"), encoding: .utf8) == "old")
            #expect(try InputTest.leftovers(in: dir.path).isEmpty)
        }
    }
}
