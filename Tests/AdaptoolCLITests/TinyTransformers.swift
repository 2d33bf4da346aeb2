import AdapterTestSupport
import Foundation
import Testing

/// Tiny transformer-shaped models and PEFT adapters on them, written by numpy (no adaptool code),
/// for the tests of `import MODEL` and `import PEFT_DIR --base` on any model.
enum TinyTransformers {
    /// Runs the generator: `command` is `llama DIR DTYPE SHARDS`, `gpt2 DIR`, `peft DIR JSON`
    /// (JSON: {"config": {...}, "tensors": {module: {"A": [r, in], "B": [out, r], "magnitude": [out]?}}, "dtype": "F32"}).
    /// Prints a JSON manifest of what it wrote: name → {dtype, shape, hex, shard}.
    @discardableResult
    static func generate(_ command: [String]) throws -> [String: [String: Any]] {
        let result = try ExternalProcess.python(["-c", script] + command)
        try #require(result.status == 0, "generator failed: \(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [String: Any]])
    }

    /// Writes a PEFT folder at `folder` with `config` (merged over a LoRA default) and factors of
    /// the given shapes for each module (`[role: shape]`, roles A, B, magnitude).
    @discardableResult
    static func peft(_ folder: String, config: [String: Any], modules: [String: [String: [Int]]], dtype: String = "F32") throws -> [String: [String: Any]] {
        let spec: [String: Any] = ["config": config, "tensors": modules, "dtype": dtype]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: spec, options: [.sortedKeys]), as: UTF8.self)
        return try generate(["peft", folder, json])
    }

    /// h5py: every tensor of the v2 checkpoint at argv[1] as name → {dtype, shape, hex, shard},
    /// plus "__root__" (root attributes) and "__files__" (attached file name → hex).
    static let readBack = #"""
    import h5py, json, sys
    out = {}
    with h5py.File(sys.argv[1], "r") as f:
        for key, ds in f["tensors"].items():
            a = ds.attrs
            shard = a.get("shard")
            out[a["name"]] = {"dtype": a["dtype"], "shape": list(ds.shape), "hex": ds[()].tobytes().hex(),
                              "shard": shard, "sha256": a["sha256"]}
        out["__root__"] = {k: (v if isinstance(v, str) else int(v)) for k, v in f.attrs.items() if k in ("format", "format_version", "architecture", "fingerprint", "safetensors_metadata")}
        out["__files__"] = {ds.attrs["name"]: ds[()].tobytes().hex() for ds in f["files"].values()} if "files" in f else {}
    print(json.dumps(out))
    """#

    /// h5py: the v2 adapter at argv[1] as tensor → {rank, scaling, layout, roles: {role: {dtype, shape, hex}}}, plus "__root__".
    static let readAdapter = #"""
    import h5py, json, sys
    out = {}
    with h5py.File(sys.argv[1], "r") as f:
        for key, g in f["targets"].items():
            a = g.attrs
            out[a["tensor"]] = {"rank": int(a["rank"]), "scaling": float(a["scaling"]), "layout": a["layout"],
                                "roles": {r: {"dtype": d.attrs["dtype"], "shape": list(d.shape), "hex": d[()].tobytes().hex()} for r, d in g.items()}}
        out["__root__"] = {k: (v if isinstance(v, str) else int(v)) for k, v in f.attrs.items() if k in ("format", "format_version", "method", "base_fingerprint")}
    print(json.dumps(out))
    """#

    /// Runs one of the h5py readers on `path`.
    static func read(_ reader: String, _ path: String) throws -> [String: [String: Any]] {
        let result = try ExternalProcess.python(["-c", reader, path])
        try #require(result.status == 0, "h5py failed: \(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [String: Any]])
    }

    static let script = #"""
    import json, os, struct, sys
    import numpy as np
    rng = np.random.default_rng(int.from_bytes(" ".join(sys.argv[1:]).encode()[:8], "little") % 2**32)
    manifest = {}

    def encode(array, dtype):
        if dtype == "BF16":
            return (np.asarray(array, np.float32).view(np.uint32) >> 16).astype("<u2").tobytes()
        return np.asarray(array).astype({"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8"}[dtype]).tobytes()

    def write(path, tensors, metadata={"format": "pt"}):
        header, offset, blobs = {"__metadata__": metadata}, 0, []
        for name, dtype, shape, raw in tensors:
            header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
            offset += len(raw)
            blobs.append(raw)
            manifest[name] = {"dtype": dtype, "shape": list(shape), "hex": raw.hex(), "shard": os.path.basename(path)}
        text = json.dumps(header).encode()
        text += b" " * (-len(text) % 8)
        with open(path, "wb") as f:
            f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))

    def tensor(name, shape, dtype):
        return (name, dtype, shape, encode(rng.standard_normal(shape) * 0.5, dtype))

    def folder_files(out, config):
        with open(os.path.join(out, "config.json"), "w") as f:
            json.dump(config, f)
        with open(os.path.join(out, "generation_config.json"), "w") as f:
            json.dump({"bos_token_id": 1, "eos_token_id": 2}, f)
        with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
            f.write('{"model_max_length": 16}\n')

    mode = sys.argv[1]
    if mode == "llama":
        out, dtype, shards = sys.argv[2], sys.argv[3], int(sys.argv[4])
        os.makedirs(out, exist_ok=True)
        folder_files(out, {"model_type": "llama", "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                           "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 64})
        groups = [[tensor("model.embed_tokens.weight", (64, 32), dtype)]]
        for layer in range(2):
            p = "model.layers.%d." % layer
            groups.append([tensor(p + "input_layernorm.weight", (32,), dtype),
                           tensor(p + "self_attn.q_proj.weight", (32, 32), dtype), tensor(p + "self_attn.k_proj.weight", (16, 32), dtype),
                           tensor(p + "self_attn.v_proj.weight", (16, 32), dtype), tensor(p + "self_attn.o_proj.weight", (32, 32), dtype),
                           tensor(p + "post_attention_layernorm.weight", (32,), dtype),
                           tensor(p + "mlp.gate_proj.weight", (48, 32), dtype), tensor(p + "mlp.up_proj.weight", (48, 32), dtype),
                           tensor(p + "mlp.down_proj.weight", (32, 48), dtype)])
        groups.append([tensor("model.norm.weight", (32,), dtype), tensor("lm_head.weight", (64, 32), dtype),
                       ("model.position_ids", "I64", (8,), encode(np.arange(8), "I64")), ("model.scale", "F32", (), encode(np.float32(0.125), "F32"))])
        if shards == 1:
            write(os.path.join(out, "model.safetensors"), [t for g in groups for t in g])
        else:
            names = ["model-%05d-of-%05d.safetensors" % (i + 1, shards) for i in range(shards)]
            per = [[] for _ in names]
            for i, group in enumerate(groups):
                per[min(i * shards // len(groups), shards - 1)].extend(group)
            for name, tensors in zip(names, per):
                write(os.path.join(out, name), tensors)
            with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
                json.dump({"metadata": {}, "weight_map": {n: m["shard"] for n, m in manifest.items()}}, f)
    elif mode == "gpt2":
        out = sys.argv[2]
        os.makedirs(out, exist_ok=True)
        folder_files(out, {"model_type": "gpt2", "n_embd": 32, "n_layer": 1, "n_head": 4, "vocab_size": 64, "n_positions": 16})
        # The hub's GPT-2 files store Conv1D weights [in, out] without the "transformer." prefix.
        write(os.path.join(out, "model.safetensors"), [
            tensor("wte.weight", (64, 32), "F32"), tensor("wpe.weight", (16, 32), "F32"),
            tensor("h.0.ln_1.weight", (32,), "F32"), tensor("h.0.attn.c_attn.weight", (32, 96), "F32"),
            tensor("h.0.attn.c_attn.bias", (96,), "F32"), tensor("h.0.attn.c_proj.weight", (32, 32), "F32"),
            tensor("h.0.mlp.c_fc.weight", (32, 128), "F32"), tensor("h.0.mlp.c_proj.weight", (128, 32), "F32"),
            tensor("ln_f.weight", (32,), "F32")])
    elif mode == "peft":
        out, spec = sys.argv[2], json.loads(sys.argv[3])
        os.makedirs(out, exist_ok=True)
        config = {"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": "all-linear", "bias": "none"}
        config.update(spec["config"])
        with open(os.path.join(out, "adapter_config.json"), "w") as f:
            json.dump(config, f)
        suffix = {"A": ".lora_A.weight", "B": ".lora_B.weight", "magnitude": ".lora_magnitude_vector"}
        tensors = [tensor("base_model.model." + module + suffix[role], tuple(shape), spec["dtype"])
                   for module, roles in sorted(spec["tensors"].items()) for role, shape in sorted(roles.items())]
        write(os.path.join(out, "adapter_model.safetensors"), tensors, metadata={"format": "pt"})
    print(json.dumps(manifest))
    """#
}
