import AdapterTestSupport
import Foundation
import Testing

/// Issue 9 with the fixtures helper's tiny models (Fixtures/transformers, written by numpy and
/// checked against real PEFT/transformers by its generator): every model imports byte for byte, and
/// every adapter imports with exactly the targets, ranks, scalings and method `expected.json` lists.
@Suite struct TransformerFixturesImportCLITests {
    static let folder = PackagePaths.fixtures + "/transformers"

    /// `expected.json`'s model, adapter and invalid-adapter entries.
    static func expected() throws -> [String: [String: [String: Any]]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/expected.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any]).compactMapValues { $0 as? [String: [String: Any]] }
    }

    /// Python: argv[1] = a model folder, argv[2] = its v2 import; prints the names of tensors whose
    /// name, dtype, shape or bytes differ (the safetensors files parsed by hand: numpy lacks BF16).
    static let compareModel = #"""
    import h5py, json, os, struct, sys
    dtypes = {"F32": "float32", "F16": "float16", "BF16": "bfloat16", "F64": "float64", "I64": "int64", "I32": "int32", "BOOL": "bool", "U8": "uint8"}
    source = {}
    for name in sorted(os.listdir(sys.argv[1])):
        if not name.endswith(".safetensors"):
            continue
        with open(os.path.join(sys.argv[1], name), "rb") as f:
            data = f.read()
        n = struct.unpack("<Q", data[:8])[0]
        header = json.loads(data[8:8 + n])
        for key, entry in header.items():
            if key != "__metadata__":
                start, end = entry["data_offsets"]
                source[key] = (dtypes[entry["dtype"]], entry["shape"], data[8 + n + start:8 + n + end], name)
    bad = []
    with h5py.File(sys.argv[2], "r") as f:
        stored = {ds.attrs["name"]: ds for ds in f["tensors"].values()}
        bad += ["missing " + k for k in source if k not in stored] + ["extra " + k for k in stored if k not in source]
        for key, (dtype, shape, raw, shard) in source.items():
            ds = stored.get(key)
            if ds is not None and (ds.attrs["dtype"] != dtype or list(ds.shape) != shape or ds[()].tobytes() != raw or ds.attrs["shard"] != shard):
                bad.append(key)
        for name in f["files"]:
            with open(os.path.join(sys.argv[1], f["files"][name].attrs["name"]), "rb") as g:
                if g.read() != f["files"][name][()].tobytes():
                    bad.append("file " + name)
    print(json.dumps(bad))
    """#

    @Test(arguments: ["gpt2-f32", "llama-bf16", "llama-f16", "llama-f32"])
    func everyModelImportsByteForByte(_ model: String) throws {
        let dir = try TemporaryDirectory()
        let info = try #require(try Self.expected()["models"]?[model])
        let result = try ExternalProcess.adaptool(["import", Self.folder + "/" + model, "-o", dir.file("base.h5")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\((info["tensors"] as? [String: Any])?.count ?? -1) tensors"), "\(result.stdout)")
        let compared = try ExternalProcess.python(["-c", Self.compareModel, Self.folder + "/" + model, dir.file("base.h5")])
        #expect(compared.status == 0 && compared.stdout == "[]\n", "\(compared.stdout)\(compared.stderr)")
    }

    @Test(arguments: ["gpt2-dora-conv1d", "gpt2-lora-conv1d", "llama-bf16-lora", "llama-dora", "llama-f16-dora", "llama-lora-all-linear", "llama-rslora-patterns"])
    func everyAdapterImportsWithItsTargets(_ name: String) throws {
        let dir = try TemporaryDirectory()
        let expected = try #require(try Self.expected()["adapters"]?[name])
        let baseName = try #require(expected["base"] as? String)
        let conv1D = try Self.expected()["models"]?[baseName]?["conv1d_weights_are_in_out"] as? Bool ?? false
        let base = try ExternalProcess.adaptool(["import", Self.folder + "/" + baseName, "-o", dir.file("base.h5")])
        try #require(base.status == 0, "\(base.stderr)")
        let result = try ExternalProcess.adaptool(["import", Self.folder + "/" + name, "--base", dir.file("base.h5"), "-o", dir.file("adapter.h5")])
        #expect(result.status == 0, "\(result.stderr)")
        let adapter = try TinyTransformers.read(TinyTransformers.readAdapter, dir.file("adapter.h5"))
        #expect(adapter["__root__"]?["method"] as? String == expected["method"] as? String)
        let targets = try #require(expected["targets"] as? [String: [String: Any]])
        #expect(Set(adapter.keys.filter { $0 != "__root__" }) == Set(targets.keys))
        for (tensor, want) in targets {
            let got = try #require(adapter[tensor], "\(tensor)")
            let scaling = try #require(want["scaling"] as? Double)
            #expect(got["rank"] as? Int == want["rank"] as? Int, "\(name) \(tensor) rank")
            #expect(abs((got["scaling"] as? Double ?? .nan) - scaling) <= 1e-12 * scaling, "\(name) \(tensor) scaling \(got["scaling"] ?? "nil") vs \(scaling)")
            #expect(got["layout"] as? String == (conv1D ? "in_out" : "out_in"), "\(name) \(tensor) layout")
        }
    }

    @Test(arguments: ["llama-lora-unknown-module", "llama-lora-wrong-shape"])
    func anInvalidAdapterNamesItsModule(_ name: String) throws {
        let dir = try TemporaryDirectory()
        let expected = try #require(try Self.expected()["invalid"]?[name])
        let base = try ExternalProcess.adaptool(["import", Self.folder + "/" + (expected["base"] as? String ?? ""), "-o", dir.file("base.h5")])
        try #require(base.status == 0, "\(base.stderr)")
        let result = try ExternalProcess.adaptool(["import", Self.folder + "/" + name, "--base", dir.file("base.h5"), "-o", dir.file("adapter.h5")])
        OutputFixture.expectOneLineFailure(result, naming: "\(name)/adapter_model.safetensors: \(expected["module"] as? String ?? "?"): ", [name])
        #expect(try dir.contents() == ["base.h5"])
    }
}
