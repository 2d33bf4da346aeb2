#!/usr/bin/env python3
"""Writes the merge benchmark's inputs with h5py, independently of adaptool:
a v1 checkpoint of LAYERS float32 layers of SIZE × SIZE, and rank-R LoRA and DoRA adapters for it.

The fingerprint follows spec/format.md (Sources/AdapterCore/Formats/Fingerprint.swift): SHA-256 over,
per layer in order, u64le(len(name)) ‖ name ‖ u64le(out) ‖ u64le(in) ‖ u64le(len(bias)) ‖
f32le(weight, row-major) ‖ f32le(bias).

usage: make_merge_inputs.py OUT_DIR [--layers 16] [--size 4096] [--rank 16]
"""
import argparse, hashlib, os, struct
import h5py, numpy as np

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--layers", type=int, default=16)
p.add_argument("--size", type=int, default=4096)
p.add_argument("--rank", type=int, default=16)
args = p.parse_args()
n, r = args.size, args.rank
names = [f"layers.{i}" for i in range(args.layers)]
rng = np.random.default_rng(0)
string_list = h5py.special_dtype(vlen=str)

def tmp(path):
    return path + ".partial"

# Checkpoint: weights ~ N(0, 1/n), written layer by layer, hashed as written.
ckpt = os.path.join(args.out, "merge-base.h5")
sha = hashlib.sha256()
row_norms = {}
with h5py.File(tmp(ckpt), "w") as f:
    f.attrs["format"] = "adaptool.checkpoint"
    f.attrs["format_version"] = np.int64(1)
    f.attrs["architecture"] = "mlp"
    f.attrs["activation"] = "relu"
    f.attrs.create("layer_names", names, dtype=string_list)
    f.attrs["created_by"] = "bench make_merge_inputs.py (h5py)"
    layers = f.create_group("layers")
    for name in names:
        w = (rng.standard_normal((n, n), dtype=np.float32) / np.float32(np.sqrt(n))).astype("<f4")
        b = (rng.standard_normal(n, dtype=np.float32) * np.float32(0.01)).astype("<f4")
        g = layers.create_group(name)
        g.create_dataset("weight", data=w)
        g.create_dataset("bias", data=b)
        encoded = name.encode()
        sha.update(struct.pack("<Q", len(encoded)) + encoded + struct.pack("<QQQ", n, n, n))
        sha.update(w.tobytes())
        sha.update(b.tobytes())
        row_norms[name] = np.linalg.norm(w.astype(np.float64), axis=1)
    fingerprint = sha.hexdigest()
    f.attrs["fingerprint"] = fingerprint
os.replace(tmp(ckpt), ckpt)

# Adapters: PEFT-like init scale, alpha = 2r so scaling = alpha / r = 2.
for method in ("lora", "dora"):
    path = os.path.join(args.out, f"merge-{method}.h5")
    with h5py.File(tmp(path), "w") as f:
        f.attrs["format"] = "adaptool.adapter"
        f.attrs["format_version"] = np.int64(1)
        f.attrs["method"] = method
        f.attrs["rank"] = np.int64(r)
        f.attrs["alpha"] = float(2 * r)
        f.attrs["scaling"] = 2.0
        if method == "dora":
            f.attrs["norm_axis"] = "output"
        f.attrs.create("target_layers", names, dtype=string_list)
        f.attrs["base_fingerprint"] = fingerprint
        layers = f.create_group("layers")
        for name in names:
            g = layers.create_group(name)
            g.create_dataset("lora_A", data=(rng.standard_normal((r, n), dtype=np.float32) * np.float32(0.01)))
            g.create_dataset("lora_B", data=(rng.standard_normal((n, r), dtype=np.float32) * np.float32(0.01)))
            if method == "dora":
                m = row_norms[name] * (1 + 0.05 * rng.standard_normal(n))
                g.create_dataset("magnitude", data=m.astype(np.float32))
    os.replace(tmp(path), path)
print(fingerprint)
