import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// What the seeded fuzzer (`make fuzz`) found after the first round of issue 8 fixes: imports that
/// wrote non-finite values, PEFT pattern keys given a meaning PEFT refuses, an export writing
/// `inf` into JSON, and Int overflows from size flags. Every case runs through the CLI binary.
@Suite struct FuzzFindingsCLITests {
    /// Exit 1 (or `status`), no crash, one error line naming `file` (and `text`), and `dir` holding
    /// exactly `leaving`: no output, no hidden temporary file.
    private func expectRefusal(_ result: ProcessResult, naming file: String, containing text: String, status: Int32 = 1,
                               in dir: TemporaryDirectory, leaving: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        InputTest.expectOneErrorLine(result, naming: file, status: status, containing: text, sourceLocation: sourceLocation)
        #expect(try dir.contents() == leaving.sorted(), sourceLocation: sourceLocation)
    }

    // MARK: Non-finite tensor values are refused at import

    static let nonFiniteTensors: [(dtype: String, value: String, tensor: String)] = [
        ("<f4", "nan", "layers.0.weight"), ("<f4", "-inf", "layers.0.bias"),
        ("<f2", "inf", "layers.0.weight"), ("<f8", "1e300", "layers.0.weight"),  // finite in float64, infinite as float32
    ]

    @Test(arguments: nonFiniteTensors)
    func importRefusesAStateDictWithNonFiniteValues(_ bad: (dtype: String, value: String, tensor: String)) throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("state.safetensors")
        try InputTest.python("""
            import sys, numpy as np
            from safetensors.numpy import save_file
            dtype, value, bad = sys.argv[2], float(sys.argv[3]), sys.argv[4]
            tensors = {"layers.0.weight": np.ones((3, 4), dtype), "layers.0.bias": np.zeros(3, dtype)}
            tensors[bad].reshape(-1)[1] = value
            save_file(tensors, sys.argv[1])
            """, [source, bad.dtype, bad.value, bad.tensor])
        let result = try InputTest.adaptool(["import", source, "-o", dir.file("out.h5")])
        try expectRefusal(result, naming: source, containing: "tensor \"\(bad.tensor)\" holds 1 of", in: dir, leaving: ["state.safetensors"])
    }

    @Test func importRefusesAPEFTAdapterWithANaNFactor() throws {
        let dir = try TemporaryDirectory()
        try writePEFTFolder(dir.file("peft"), module: "layers.0", patterns: "{}", poisonA: true)
        let result = try InputTest.adaptool(["import", dir.file("peft"), "-o", dir.file("out.h5")])
        try expectRefusal(result, naming: dir.file("peft") + "/adapter_model.safetensors",
                          containing: "\"base_model.model.layers.0.lora_A.weight\" holds 2 of 2", in: dir, leaving: ["peft"])
    }

    // MARK: Pattern keys are read as Python's re reads them

    /// A PEFT folder adapting `module` (rank 1, alpha 1), with `patterns` (JSON) merged into the config.
    private func writePEFTFolder(_ folder: String, module: String, patterns: String, poisonA: Bool = false) throws {
        try InputTest.python("""
            import json, os, sys
            import numpy as np
            from safetensors.numpy import save_file
            folder, module, patterns, poison = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4] == "1"
            os.makedirs(folder)
            key = "base_model.model." + module
            a = np.full((1, 2), np.nan if poison else 1, "<f4")
            save_file({key + ".lora_A.weight": a, key + ".lora_B.weight": np.ones((2, 1), "<f4")},
                      os.path.join(folder, "adapter_model.safetensors"), metadata={"adaptool.base_fingerprint": "0" * 64})
            config = {"peft_type": "LORA", "r": 1, "lora_alpha": 1, "target_modules": [module]}
            config.update(patterns)
            json.dump(config, open(os.path.join(folder, "adapter_config.json"), "w"))
            """, [folder, module, patterns, poisonA ? "1" : "0"])
    }

    /// Imports (without `--base`) a PEFT folder adapting `module` whose `alpha_pattern` maps `key` to 2.
    private func importWithAlphaPattern(key: String, module: String) throws -> (TemporaryDirectory, ProcessResult) {
        let dir = try TemporaryDirectory()
        let patterns = String(decoding: try JSONSerialization.data(withJSONObject: ["alpha_pattern": [key: 2]]), as: UTF8.self)
        try writePEFTFolder(dir.file("peft"), module: module, patterns: patterns)
        return (dir, try InputTest.adaptool(["import", dir.file("peft"), "-o", dir.file("out.h5")]))
    }

    /// Keys ICU compiles but Python's `re` refuses inside PEFT's `(.*\.)?(KEY)$` (the fuzzer's cases
    /// peft-1350, peft-2426, peft-3991), and one whose evaluation backtracks exponentially.
    static let keysPythonRefuses: [(key: String, module: String, reason: String)] = [
        ("(?i)LAYERS.0", "layers.0", "global flags not at the start of the expression"),
        ("(?x) layers . 0", "layers.0", "global flags not at the start of the expression"),
        (#"\Qlayers.0\E"#, "layers.0", #"bad escape \Q"#),
        (#"\p{L}+\.0"#, "layers.0", #"bad escape \p"#),
        ("(?<=a|bc)s.0", "layers.0", "look-behind requires fixed-width pattern"),
        ("(a+)+$", String(repeating: "a", count: 40) + "!", "could not be evaluated"),
    ]

    @Test(arguments: keysPythonRefuses)
    func patternKeysPythonRefusesAreRefused(_ bad: (key: String, module: String, reason: String)) throws {
        let (dir, result) = try importWithAlphaPattern(key: bad.key, module: bad.module)
        try expectRefusal(result, naming: dir.file("peft") + "/adapter_config.json", containing: bad.reason, in: dir, leaving: ["peft"])
        #expect(result.stderr.contains("alpha_pattern[\"\(bad.key)\"]"), "\(result.stderr)")
    }

    /// Keys both read alike now, where ICU used to differ from Python: `[[:alpha:]]` is a set of the
    /// characters `[:alph` then `]` in Python, and `$` / `.` / `\Z` follow Python's line rules.
    static let keysReadAsPython: [(key: String, module: String, scaling: Double)] = [
        ("[[:alpha:]]", "layers.a", 1), ("[[:alpha:]]", "layers.a]", 2), ("(?i:LAYERS)\\.0", "layers.0", 2),
        ("a)|(b", "a", 2), (#"layers\.0\Z"#, "layers.0", 2), ("(?P<name>layers)\\.0", "layers.0", 2),
    ]

    @Test(arguments: keysReadAsPython)
    func patternKeysMatchAsInPython(_ key: (key: String, module: String, scaling: Double)) throws {
        let (dir, result) = try importWithAlphaPattern(key: key.key, module: key.module)
        #expect(result.status == 0 && !result.crashed, "\(result.stderr)")
        let adapter = try Adapter.read(from: dir.file("out.h5"))
        #expect(adapter.layers.map(\.scaling) == [key.scaling])
    }

    // MARK: Export writes only finite JSON numbers

    /// The root scaling (fuzz case hdf5-6752), or one layer's, whose alpha = scaling · rank is ∞.
    static let overflowingScalings: [(root: Double, layer: Double, field: String)] = [
        (1e308, 1e308, "\"lora_alpha\" would be inf"), (2, 1e308, "\"alpha_pattern[\"fc1\"]\" would be inf"),
    ]

    @Test(arguments: overflowingScalings)
    func exportRefusesAScalingWhoseAlphaOverflows(_ bad: (root: Double, layer: Double, field: String)) throws {
        let dir = try TemporaryDirectory()
        var rng = SeededGenerator(seed: 3)
        let adapter = Adapter(method: .lora, rank: 4, alpha: bad.root, scaling: bad.root, baseFingerprint: String(repeating: "0", count: 64),
                              layers: [AdapterLayer(name: "fc1", a: rng.matrix(4, 3), b: rng.matrix(2, 4), scaling: bad.layer)])
        try adapter.write(to: dir.file("adapter.h5"))
        let result = try InputTest.adaptool(["export", dir.file("adapter.h5"), "-o", dir.file("peft")])
        try expectRefusal(result, naming: dir.file("adapter.h5"), containing: bad.field, in: dir, leaving: ["adapter.h5"])
    }

    // MARK: Size flags never overflow

    @Test func trainRefusesAHiddenWidthNearIntMax() throws {
        let dir = try TemporaryDirectory()
        let result = try InputTest.adaptool(["train", "base", "--data", dir.file("nowhere"), "--hidden", String(Int.max), "-o", dir.file("out.h5")])
        try expectRefusal(result, naming: "--hidden", containing: "memory budget", in: dir, leaving: [])
    }

    @Test func extractRefusesARankTheAdapterReaderWouldRefuse() throws {
        let dir = try TemporaryDirectory()
        let result = try InputTest.adaptool(["extract", PackagePaths.fixtures + "/checkpoint.h5", PackagePaths.fixtures + "/checkpoint.h5",
                                             "--rank", "4294967296", "-o", dir.file("out.h5")])
        #expect(result.status != 0 && !result.crashed, "\(result.stderr)")
        #expect(result.stderr.contains("--rank must be a positive integer of at most 1048576"), "\(result.stderr)")
        #expect(try dir.contents().isEmpty)
    }

    /// `--epochs` near Int.max is a legal (endless) run; the progress arithmetic overflowed at the
    /// first step. The run is stopped by `timeout` after 2 s: killed (124), not crashed.
    @Test func trainWithAHugeEpochCountRunsWithoutOverflow() throws {
        let dir = try TemporaryDirectory()
        let data = dir.file("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try SyntheticCIFAR10.write(SyntheticCIFAR10.make(trainCount: 20, testCount: 10, seed: 1), to: data)
        let run = try ExternalProcess.run("/usr/bin/timeout", ["2", PackagePaths.adaptoolBinary, "train", "base", "--data", data, "--hidden", "4",
                                                               "--batch-size", "10", "--epochs", String(Int.max), "--quiet", "-o", dir.file("out.h5")])
        let result = InputTest.underTimeout(run)
        #expect(!result.crashed && result.status == 124, "status \(result.status): \(result.stderr.prefix(300))")
        #expect(try dir.contents() == ["data"])
    }
}
