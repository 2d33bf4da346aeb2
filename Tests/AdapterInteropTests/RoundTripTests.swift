import AdapterCore
import AdapterMath
import AdapterTestSupport
import Foundation
import Testing
@testable import AdapterInterop

/// import → export → import is lossless; exported folders are what PEFT expects.
@Suite struct RoundTripTests {
    @Test(arguments: ["peft_lora", "peft_dora", "peft_rslora", "peft_pattern"])
    func adapterSurvivesExportAndImport(name: String) throws {
        let dir = try TemporaryDirectory()
        let adapter = try InteropFixtures.adapter(name)
        try PEFTExport.write(adapter, to: dir.file("peft"))
        #expect(try dir.contents() == ["peft"])
        let back = try PEFTImport.adapter(from: PEFTFolder(folder: dir.file("peft")), base: nil)
        #expect(back.adapter.layers == adapter.layers)
        #expect(back.adapter.method == adapter.method && back.adapter.normAxis == adapter.normAxis)
        #expect(back.adapter.rank == adapter.rank && back.adapter.scaling == adapter.scaling && back.adapter.alpha == adapter.alpha)
        #expect(back.adapter.baseFingerprint == adapter.baseFingerprint)
        // The original config's r / lora_alpha / patterns come back unchanged.
        let original = try PEFTFolder(folder: InteropFixtures.path(name)).config()
        let exported = try PEFTFolder(folder: dir.file("peft")).config()
        #expect(exported.r == original.r && exported.loraAlpha == original.loraAlpha && exported.useRSLoRA == original.useRSLoRA)
        #expect(exported.useDoRA == original.useDoRA)
    }

    @Test func checkpointSurvivesExportAndImport() throws {
        let dir = try TemporaryDirectory()
        var checkpoint = Checkpoint.random(sizes: [7, 5, 3], seed: 3)
        checkpoint.metadata.classNames = ["a", "b", "c"]
        checkpoint.metadata.inputShape = [7]
        let fingerprint = try checkpoint.write(to: dir.file("base.h5"))
        #expect(try Interop.export(dir.file("base.h5"), to: dir.file("base.safetensors")) == .stateDict)
        let result = try Interop.importFile(dir.file("base.safetensors"), to: dir.file("again.h5"))
        guard case .checkpoint(let again, let layers) = result.imported else { Issue.record("not a checkpoint"); return }
        #expect(again == fingerprint)
        #expect(layers == ["fc1", "fc2"])
        let read = try Checkpoint.read(from: dir.file("again.h5"))
        #expect(read.layers == checkpoint.layers)
        #expect(read.metadata.classNames == ["a", "b", "c"] && read.metadata.inputShape == [7])
    }

    @Test func numpyStateDictImportsAndExportsBitForBit() throws {
        let dir = try TemporaryDirectory()
        let source = InteropFixtures.path("base_state_dict.safetensors")
        _ = try Interop.importFile(source, to: dir.file("base.h5"))
        try Interop.export(dir.file("base.h5"), to: dir.file("out.safetensors"))
        let original = try SafetensorsFile(path: source), exported = try SafetensorsFile(path: dir.file("out.safetensors"))
        #expect(Set(original.tensorNames) == Set(exported.tensorNames))
        for name in original.tensorNames {
            #expect(try original.floats(name) == exported.floats(name), "\(name)")
            #expect(original.info(name)?.shape == exported.info(name)?.shape)
        }
    }

    @Test func mergeThroughFilesMatchesExpected() throws {
        // import → merge → export, through the files a user would have.
        let dir = try TemporaryDirectory()
        _ = try Interop.importFile(InteropFixtures.path("base_state_dict.safetensors"), to: dir.file("base.h5"))
        _ = try Interop.importFile(InteropFixtures.path("peft_dora"), to: dir.file("dora.h5"), base: dir.file("base.h5"))
        let base = try Checkpoint.read(from: dir.file("base.h5"))
        let adapter = try Adapter.read(from: dir.file("dora.h5"))
        let merged = try base.merged(with: [WeightedAdapter(adapter)], baseFingerprint: try CheckpointFile(path: dir.file("base.h5")).storedFingerprint)
        try merged.write(to: dir.file("merged.h5"))
        try Interop.export(dir.file("merged.h5"), to: dir.file("merged.safetensors"))
        let exported = try SafetensorsFile(path: dir.file("merged.safetensors"))
        let expected = try SafetensorsFile(path: InteropFixtures.path("expected_merged.safetensors"))
        for layer in ["layers.0", "layers.2", "layers.4"] {
            let error = InteropFixtures.relativeError(try exported.floats(layer + ".weight"), try expected.floats("peft_dora/" + layer))
            #expect(error <= PEFTImportTests.tolerance, "\(layer): \(error)")
        }
    }

    @Test func exportedConfigIsWhatPEFTReads() throws {
        let base = Checkpoint.random(sizes: [6, 4, 2], seed: 9)
        var adapter = Adapter.random(for: base, method: .dora, rank: 3, scaling: 0.5, seed: 4)
        adapter.layers[1] = AdapterLayer(name: "fc2", a: Matrix(rows: 2, columns: 4, repeating: 0.1), b: Matrix(rows: 2, columns: 2, repeating: 0.2),
                                         magnitude: [1, 2], scaling: 0.3)
        let config = try PEFTExport.config(for: adapter, path: "out")
        #expect(config["peft_type"] == .string("LORA"))
        #expect(config["r"] == .number(3) && config["lora_alpha"] == .number(1.5))
        #expect(config["use_dora"] == .bool(true) && config["use_rslora"] == .bool(false))
        #expect(config["target_modules"] == .array([.string("fc1"), .string("fc2")]))
        #expect(config["rank_pattern"] == .object([("fc2", .number(2))]))
        #expect(config["alpha_pattern"] == .object([("fc2", .number(0.6))]))
        // Read back through adaptool's PEFT reader, the scalings are ours.
        let parsed = try PEFTConfig(json: Array(config.serialized.utf8), path: "out")
        #expect(try parsed.scaling(for: "fc1", path: "out") == 0.5)
        #expect(try parsed.scaling(for: "fc2", path: "out") == 0.3)
    }

    @Test func refusesInputAxisDoRA() throws {
        let base = Checkpoint.random(sizes: [6, 4], seed: 9)
        let adapter = Adapter.random(for: base, method: .dora, rank: 2, normAxis: .input, seed: 4)
        let dir = try TemporaryDirectory()
        do {
            try PEFTExport.write(adapter, to: dir.file("peft"))
            Issue.record("input-axis DoRA was exported")
        } catch {
            #expect(String(describing: error).contains("norm_axis \"input\""))
            #expect(String(describing: error).contains("output row"))
        }
        #expect(try dir.contents().isEmpty)
    }

    @Test func pythonReadsTheExportedFolder() throws {
        let dir = try TemporaryDirectory()
        try PEFTExport.write(try InteropFixtures.adapter("peft_pattern"), to: dir.file("peft"))
        let script = """
        import json, sys
        import numpy as np
        from safetensors.numpy import load_file
        c = json.load(open(sys.argv[1] + "/adapter_config.json"))
        t = load_file(sys.argv[1] + "/adapter_model.safetensors")
        o = load_file(sys.argv[2] + "/adapter_model.safetensors")
        o = {k.replace(".lora_magnitude_vector.weight", ".lora_magnitude_vector"): v for k, v in o.items()}
        assert sorted(t) == sorted(o), (sorted(t), sorted(o))
        assert all(np.array_equal(t[k], o[k]) for k in t)
        print(c["peft_type"], c["r"], c["lora_alpha"], json.dumps(c["rank_pattern"]), json.dumps(c["alpha_pattern"]), c["use_dora"])
        """
        let result = try ExternalProcess.python(["-c", script, dir.file("peft"), InteropFixtures.path("peft_pattern")])
        #expect(result.status == 0, "\(result.stderr)")
        // Layer names are written as escaped regular expressions (spec/interop.md §PEFT export).
        #expect(result.stdout == #"LORA 4 8 {"layers\\.2": 2} {"layers\\.4": 3} True"# + "\n")
    }
}

/// The spec's h5py worked example, run: a notebook-layout DoRA written directly in our format.
@Suite struct NotebookLayoutTests {
    @Test func h5pyWrittenAdapterMergesLikeTheNotebook() throws {
        let dir = try TemporaryDirectory()
        _ = try Interop.importFile(InteropFixtures.path("base_state_dict.safetensors"), to: dir.file("base.h5"))
        let result = try ExternalProcess.python([InteropFixtures.path("write_adapter_h5py.py"), dir.file("base.h5"), dir.file("nb.h5"), dir.file("expected.safetensors")])
        #expect(result.status == 0, "\(result.stderr)")
        let adapter = try Adapter.read(from: dir.file("nb.h5"))
        #expect(adapter.normAxis == .input && adapter.scaling == 1.5)
        let base = try Checkpoint.read(from: dir.file("base.h5"))
        let merged = try base.merged(with: [WeightedAdapter(adapter)], baseFingerprint: base.computeFingerprint())
        let expected = try SafetensorsFile(path: dir.file("expected.safetensors"))
        for layer in merged.layers {
            let error = InteropFixtures.relativeError(layer.weight.values, try expected.floats(layer.name))
            #expect(error <= PEFTImportTests.tolerance, "\(layer.name): \(error)")
        }
    }
}
