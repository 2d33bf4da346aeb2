#!/usr/bin/env python3
"""Worked example (spec/interop.md §Writing the adapter format from Python): a from-scratch
trainer in the reference notebook's layout (A [in, r], B [r, out], ΔWᵀ = alpha·A·B, DoRA m over
input columns) saves its adapter straight into adaptool's HDF5 format with h5py.

    python3 write_adapter_h5py.py BASE.h5 OUT_ADAPTER.h5 [EXPECTED_MERGED.safetensors]

The optional third file receives the merged weights computed with the notebook's own formula, so
tests can check that adaptool merges the written adapter to the same function.
"""
import sys

import h5py
import numpy as np

base_path, adapter_path = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(7)
rank, alpha = 2, 1.5

with h5py.File(base_path, "r") as base:
    names = [n.decode() if isinstance(n, bytes) else n for n in base.attrs["layer_names"]]
    fingerprint = base.attrs["fingerprint"]
    fingerprint = fingerprint.decode() if isinstance(fingerprint, bytes) else fingerprint
    weights = {n: base[f"layers/{n}/weight"][...].astype(np.float64) for n in names}  # nn.Linear layout [out, in]

# What the notebook trains for each layer (here random): LoRALayer.A [in, r], .B [r, out]; DoRA's m [1, in].
trained = {}
for n in names:
    out_features, in_features = weights[n].shape
    A = rng.normal(0, 0.3, (in_features, rank)).astype(np.float32)
    B = rng.normal(0, 0.3, (rank, out_features)).astype(np.float32)
    m = (np.linalg.norm(weights[n], axis=0, keepdims=True) * 1.1).astype(np.float32)
    trained[n] = (A, B, m)

with h5py.File(adapter_path, "w") as f:
    f.attrs["format"] = "adaptool.adapter"
    f.attrs["format_version"] = np.int64(1)
    f.attrs["method"] = "dora"
    f.attrs["rank"] = np.int64(rank)
    f.attrs["alpha"] = alpha
    f.attrs["scaling"] = alpha              # the notebook applies alpha itself, not alpha / r
    f.attrs["norm_axis"] = "input"          # its m holds one norm per input column
    f.attrs["target_layers"] = names
    f.attrs["base_fingerprint"] = fingerprint
    f.attrs["created_by"] = "notebook trainer (h5py)"
    for n, (A, B, m) in trained.items():
        g = f.create_group(f"layers/{n}")
        g["lora_A"] = A.T                   # [r, in]
        g["lora_B"] = B.T                   # [out, r]
        g["magnitude"] = m.reshape(-1)      # [in]

if len(sys.argv) > 3:
    from safetensors.numpy import save_file
    merged = {}
    for n, (A, B, m) in trained.items():
        # The notebook's forward: numerator = W + alpha·(A·B)ᵀ; columns normalised; scaled by m.
        numerator = weights[n] + alpha * (A.astype(np.float64) @ B.astype(np.float64)).T
        merged[n] = m.astype(np.float64) * numerator / np.linalg.norm(numerator, axis=0, keepdims=True)
    save_file(merged, sys.argv[3])
