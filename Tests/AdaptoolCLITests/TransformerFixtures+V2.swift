import AdapterTestSupport
import Foundation
import Testing

extension TransformerFixtures {
    /// Writes, with h5py (Fixtures/v2/write_v2.py, an implementation of the v2 spec independent of
    /// adaptool), a v2 checkpoint of a Fixtures/transformers model folder — every tensor in stored
    /// order with its shard, config.json and the other files attached, `__metadata__` kept — and,
    /// for an adapter, the v2 adapter of its PEFT folder (targets, ranks and scalings from
    /// expected.json, Conv1D targets `in_out`). Used to test `merge` and `export` on v2 files
    /// without depending on adaptool's own import.
    static let v2Writer = """
    import json, os, sys
    sys.path[:0] = [sys.argv[1] + "/v2", sys.argv[1] + "/transformers"]
    import numpy as np
    from write_v2 import write_checkpoint, write_adapter, model_fingerprint
    from st_io import read_safetensors
    NUMPY = {"F32": "<f4", "F16": "<f2", "BF16": "<u2", "F64": "<f8", "I64": "<i8"}
    NAMES = {"F32": "float32", "F16": "float16", "BF16": "bfloat16", "F64": "float64", "I64": "int64"}
    def ordered(path):
        raw = open(path, "rb").read()
        length = int.from_bytes(raw[:8], "little")
        header = json.loads(raw[8:8 + length])
        metadata = header.pop("__metadata__", None)
        data = raw[8 + length:]
        names = sorted(header, key=lambda n: header[n]["data_offsets"][0])
        return [(n, header[n]["dtype"], header[n]["shape"], data[slice(*header[n]["data_offsets"])]) for n in names], metadata
    root, model, out = sys.argv[1], sys.argv[2], sys.argv[3]
    folder = root + "/transformers/" + model
    index = folder + "/model.safetensors.index.json"
    shard_files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    tensors, shards, metadata = [], {}, None
    for shard in shard_files:
        entries, metadata = ordered(folder + "/" + shard)
        for name, dtype, shape, data in entries:
            tensors.append((name, NAMES[dtype], np.frombuffer(data, NUMPY[dtype]).reshape(shape)))
            if os.path.exists(index):
                shards[name] = shard
    files = {n: open(folder + "/" + n, "rb").read() for n in sorted(os.listdir(folder)) if n.endswith(".json") and not n.endswith(".index.json")}
    architecture = json.load(open(folder + "/config.json"))["model_type"]
    digests = write_checkpoint(out + "/base.h5", tensors, architecture=architecture, files=files, shards=shards,
                               safetensors_metadata=json.dumps(metadata))
    for adapter in sys.argv[4:]:
        facts = json.load(open(root + "/transformers/expected.json"))["adapters"][adapter]
        weights, _ = read_safetensors(root + "/transformers/" + adapter + "/adapter_model.safetensors")
        targets = []
        for tensor, target in facts["targets"].items():
            key = "base_model.model." + target["module"]
            roles = {"A": key + ".lora_A.weight", "B": key + ".lora_B.weight", "magnitude": key + ".lora_magnitude_vector"}
            factors = {}
            for role, name in roles.items():
                if name in weights:
                    dtype, shape, data = weights[name]
                    factors[role] = (NAMES[dtype], np.frombuffer(data, NUMPY[dtype]).reshape(shape))
            targets.append({"tensor": tensor, "rank": target["rank"], "scaling": target["scaling"],
                            "layout": "in_out" if facts["fan_in_fan_out"] else "out_in", "factors": factors})
        write_adapter(out + "/" + adapter + ".h5", facts["method"], targets, base_fingerprint=model_fingerprint(digests))
    """

    /// Writes `base.h5` for `model` and `<adapter>.h5` for each adapter into `folder` (see ``v2Writer``).
    static func writeV2(model: String, adapters: [String], into folder: String) throws {
        let result = try ExternalProcess.python(["-c", v2Writer, PackagePaths.fixtures, model, folder] + adapters)
        try #require(result.status == 0, "h5py v2 writer: \(result.stderr)")
    }
}
