import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// `extract`, `export ADAPTER_V2.h5` and `unmerge` on models of any architecture (issue 9, item 3).
@Suite struct ModelAdapterToolsCLITests {
    /// Every tensor of a PEFT folder's adapter_model.safetensors: info and bytes, by name.
    static func peftTensors(_ folder: String) throws -> [String: (TensorInfo, [UInt8])] {
        let file = try SafetensorsFile(path: folder + "/adapter_model.safetensors")
        return try Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.name, ($0, try file.rawBytes(of: $0.name))) })
    }

    @Test(arguments: ModelMergeCLITests.adapters)
    func importedPEFTFolderExportsBackByteForByteWithTheSameScalings(_ adapter: String) throws {
        let steps = try ModelSteps()
        let facts = try #require(try TransformerFixtures.expectations().adapters[adapter])
        let original = TransformerFixtures.root + "/" + adapter
        try steps.run(["import", TransformerFixtures.root + "/" + facts.base, "-o", steps.file("base.h5")])
        try steps.run(["import", original, "--base", steps.file("base.h5"), "-o", steps.file("adapter.h5")])
        let printed = try steps.run(["export", steps.file("adapter.h5"), "-o", steps.file("peft")])
        #expect(printed.contains("wrote PEFT adapter folder"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: steps.file("peft")).sorted() == ["adapter_config.json", "adapter_model.safetensors"])
        let (want, got) = (try Self.peftTensors(original), try Self.peftTensors(steps.file("peft")))
        #expect(Set(got.keys) == Set(want.keys))
        for (name, (info, bytes)) in want {
            #expect(got[name]?.0 == info && got[name]?.1 == bytes, "\(name) must come back with its dtype, shape and bytes")
        }
        // The config reads (as PEFT reads it: rank/alpha patterns, rsLoRA, use_dora, fan_in_fan_out)
        // to the same targets, ranks, scalings, layouts and method.
        try steps.run(["import", steps.file("peft"), "--base", steps.file("base.h5"), "-o", steps.file("again.h5")])
        let first = try TensorAdapterFile(path: steps.file("adapter.h5")).manifest, second = try TensorAdapterFile(path: steps.file("again.h5")).manifest
        #expect(second.method == first.method && second.targets == first.targets)
        #expect(try OutputFixture.leftovers(in: steps.dir.path) == [])
    }

    @Test func exportRefusesMixedLayoutsAnExistingFolderAndDtype() throws {
        let steps = try ModelSteps()
        let writer = try TensorAdapterWriter(path: steps.file("mixed.h5"), method: "lora", baseFingerprint: nil)
        for (tensor, layout) in [("a.weight", WeightLayout.outputMajor), ("b.weight", .inputMajor)] {
            let factors = ["A": TensorInfo(name: "A", dtype: .float32, shape: [1, 2]), "B": TensorInfo(name: "B", dtype: .float32, shape: [2, 1])]
            try writer.write(LowRankTarget(tensor: tensor, rank: 1, scaling: 1, layout: layout, factors: factors.compactMapValues { $0 }),
                             factorValues: ["A": [1, 2], "B": [3, 4]])
        }
        try writer.commit()
        let mixed = ["export", steps.file("mixed.h5"), "-o", steps.file("out")]
        OutputFixture.expectOneLineFailure(try ExternalProcess.adaptool(mixed), naming: steps.file("mixed.h5"), mixed)
        _ = try steps.importAndMerge(adapter: "llama-bf16-lora")
        try FileManager.default.createDirectory(atPath: steps.file("taken"), withIntermediateDirectories: false)
        let taken = ["export", steps.file("llama-bf16-lora.h5"), "-o", steps.file("taken"), "--force"]
        OutputFixture.expectOneLineFailure(try ExternalProcess.adaptool(taken), naming: steps.file("taken"), taken)
        let dtype = try ExternalProcess.adaptool(["export", steps.file("llama-bf16-lora.h5"), "-o", steps.file("out"), "--dtype", "f16"])
        #expect(dtype.status != 0 && dtype.stderr.contains("stored dtype"))
        #expect(try steps.dir.contents() == ["base.h5", "llama-bf16-lora.h5", "merged.h5", "mixed.h5", "taken"])
    }

    /// A rank-4 LoRA merge is exactly rank 4, so a rank-4 extraction (LoRA, or DoRA with the
    /// tuned rows' norms as magnitudes) captures all of it.
    @Test(arguments: [("llama-lora-all-linear", "lora"), ("gpt2-lora-conv1d", "dora")])
    func extractedAdapterMergesBackAndExportsToAPEFTFolderImportReads(_ adapter: String, _ method: String) throws {
        let steps = try ModelSteps()
        let (model, targets) = try steps.importAndMerge(adapter: adapter)
        // BASE as the model folder, TUNED as the merged v2 checkpoint.
        let printed = try steps.run(["extract", TransformerFixtures.root + "/" + model, steps.file("merged.h5"), "--rank", "4",
                                     "--method", method, "-o", steps.file("x.h5")])
        #expect(printed.contains("\(method) adapter (format v2), rank 4, \(targets.count) targets"), "\(printed)")
        #expect(printed.contains("100.00%"))
        let extracted = try TensorAdapterFile(path: steps.file("x.h5")).manifest
        #expect(extracted.targets.map(\.tensor) == targets)
        #expect(extracted.baseFingerprint == (try TensorCheckpointFile(path: steps.file("base.h5")).fingerprint))
        #expect(extracted.targets.allSatisfy { $0.factors.values.allSatisfy { $0.dtype == .float32 } })
        #expect(extracted.targets.allSatisfy { $0.layout == (model.hasPrefix("gpt2") ? .inputMajor : .outputMajor) })
        try steps.run(["merge", steps.file("base.h5"), steps.file("x.h5"), "-o", steps.file("again.h5")])
        #expect(try ExternalProcess.adaptool(["diff", steps.file("merged.h5"), steps.file("again.h5"), "--atol", "1e-7"]).status == 0)
        try steps.run(["export", steps.file("x.h5"), "-o", steps.file("peft")])
        let config = try String(contentsOfFile: steps.file("peft/adapter_config.json"), encoding: .utf8)
        #expect(config.contains("\"fan_in_fan_out\": \(model.hasPrefix("gpt2"))"))
        try steps.run(["import", steps.file("peft"), "--base", steps.file("base.h5"), "-o", steps.file("back.h5")])
        #expect(try ExternalProcess.adaptool(["diff", steps.file("x.h5"), steps.file("back.h5"), "--base", steps.file("base.h5")]).status == 0)
    }

    @Test func extractNotesInexpressibleChangesAndRefusesMismatchedInputs() throws {
        let steps = try ModelSteps()
        let gpt2 = TransformerFixtures.root + "/gpt2-f32/model.safetensors"
        // TUNED: GPT-2 with one Conv1D weight and the final norm changed.
        let script = """
        import json, struct, sys
        import numpy as np
        raw = open(sys.argv[2], "rb").read(); n = struct.unpack("<Q", raw[:8])[0]; header = json.loads(raw[8:8 + n]); data = bytearray(raw[8 + n:])
        for name in ("transformer.h.0.mlp.c_fc.weight", "transformer.ln_f.weight"):
            start, end = header[name]["data_offsets"]; values = np.frombuffer(bytes(data[start:end]), "<f4") + 0.01
            data[start:end] = values.astype("<f4").tobytes()
        open(sys.argv[3], "wb").write(raw[:8 + n] + bytes(data))
        """
        let tuned = try ExternalProcess.python(["-c", script, TransformerFixtures.root, gpt2, steps.file("tuned.safetensors")])
        try #require(tuned.status == 0, "\(tuned.stderr)")
        let result = try ExternalProcess.adaptool(["extract", gpt2, steps.file("tuned.safetensors"), "--rank", "2", "-o", steps.file("x.h5")])
        try #require(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("transformer.h.0.mlp.c_fc.weight") && result.stdout.contains("1 targets"))
        #expect(result.stderr.contains("\"transformer.ln_f.weight\" changed"), "\(result.stderr)")
        let cases: [([String], String)] = [
            (["extract", gpt2, TransformerFixtures.root + "/llama-f32", "--rank", "2", "-o", steps.file("y.h5")], TransformerFixtures.root + "/llama-f32"),
            (["extract", gpt2, gpt2, "--rank", "2", "-o", steps.file("y.h5")], gpt2),
            (["extract", gpt2, steps.file("x.h5"), "--rank", "2", "-o", steps.file("y.h5")], steps.file("x.h5")),
            (["extract", gpt2, steps.file("tuned.safetensors"), "--rank", "2", "--method", "vera", "-o", steps.file("y.h5")], "vera"),
        ]
        for (arguments, naming) in cases { OutputFixture.expectOneLineFailure(try ExternalProcess.adaptool(arguments), naming: naming, arguments) }
        #expect(try steps.dir.contents() == ["tuned.safetensors", "x.h5"])
    }

    @Test(arguments: ["llama-lora-all-linear", "gpt2-lora-conv1d", "llama-bf16-lora"])
    func unmergeGivesTheBaseBackWithinRounding(_ adapter: String) throws {
        let steps = try ModelSteps()
        _ = try steps.importAndMerge(adapter: adapter)
        let printed = try steps.run(["unmerge", steps.file("merged.h5"), steps.file(adapter + ".h5"), "-o", steps.file("restored.h5")])
        #expect(printed.contains("tensors restored"))
        let base = try TensorCheckpointFile(path: steps.file("base.h5")), restored = try TensorCheckpointFile(path: steps.file("restored.h5"))
        #expect(restored.tensors == base.tensors && restored.attachedFiles == base.attachedFiles)
        // float32: 1e-6 relative (Frobenius) per tensor; bfloat16: within two roundings of 2⁻⁸.
        let bound = base.tensors.contains { $0.dtype == .bfloat16 } ? 2.0 / 256 : 1e-6
        for info in base.tensors where info.dtype.isFloatingPoint {
            let (want, got) = (try base.float64Values(of: info.name), try restored.float64Values(of: info.name))
            let error = zip(want, got).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            let norm = want.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(error <= bound * norm, "\(info.name): ‖Δ‖ \(error) vs ‖W‖ \(norm)")
        }
    }

    @Test func directUnmergeOfAModelFolderGivesTheFolderBack() throws {
        let steps = try ModelSteps()
        let (model, adapter) = (TransformerFixtures.root + "/llama-f32", TransformerFixtures.root + "/llama-lora-all-linear")
        try steps.run(["merge", model, adapter, "-o", steps.file("merged")])
        #expect(try steps.run(["unmerge", steps.file("merged"), adapter, "-o", steps.file("restored")]).contains("14 restored"))
        #expect(try ExternalProcess.adaptool(["diff", model, steps.file("merged"), "--no-rank"]).status == 1)
        let diff = try ExternalProcess.adaptool(["diff", model, steps.file("restored"), "--atol", "1e-7", "--no-rank"])
        #expect(diff.status == 0, "\(diff.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: steps.file("restored")).sorted()
                == FileManager.default.contentsOfDirectory(atPath: model).sorted())
    }

    @Test func unmergeRefusesDoRAAndAnAdapterOfAnotherModel() throws {
        let steps = try ModelSteps()
        _ = try steps.importAndMerge(adapter: "llama-dora")
        let dora = ["unmerge", steps.file("merged.h5"), steps.file("llama-dora.h5"), "-o", steps.file("out.h5")]
        let result = try ExternalProcess.adaptool(dora)
        OutputFixture.expectOneLineFailure(result, naming: steps.file("llama-dora.h5"), dora)
        #expect(result.stderr.contains("dora cannot be unmerged"))
        try steps.run(["import", TransformerFixtures.root + "/gpt2-f32", "-o", steps.file("gpt2.h5")])
        try steps.run(["import", TransformerFixtures.root + "/gpt2-lora-conv1d", "--base", steps.file("gpt2.h5"), "-o", steps.file("gpt2-lora.h5")])
        let other = ["unmerge", steps.file("merged.h5"), steps.file("gpt2-lora.h5"), "-o", steps.file("out.h5")]
        OutputFixture.expectOneLineFailure(try ExternalProcess.adaptool(other), naming: "gpt2-lora.h5", other)
        #expect(try steps.dir.contents() == ["base.h5", "gpt2-lora.h5", "gpt2.h5", "llama-dora.h5", "merged.h5"])
    }
}
