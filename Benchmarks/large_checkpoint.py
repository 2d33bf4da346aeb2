#!/usr/bin/env python3
"""Writes a valid v1 float32 checkpoint of about SIZE_MB megabytes (default 1024) with h5py,
one layer at a time, its fingerprint computed with hashlib per spec/format.md §4.

Usage: large_checkpoint.py OUT.h5 [SIZE_MB]   (deterministic; writes OUT.h5.tmp, then renames)
"""
import hashlib
import os
import struct
import sys

import h5py
import numpy as np

out = sys.argv[1]
size_mb = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
width = 8192                                  # one 8192×8192 float32 layer is 256 MiB
hidden = max(1, round(size_mb / 256))
names = [f"fc{i + 1}" for i in range(hidden + 1)]
shapes = [(width, width)] * hidden + [(10, width)]
rng = np.random.default_rng(0)
h = hashlib.sha256()
tmp = out + ".tmp"
with h5py.File(tmp, "w") as f:
    f.attrs["format"] = "adaptool.checkpoint"
    f.attrs["format_version"] = 1
    f.attrs["architecture"] = "mlp"
    f.attrs["activation"] = "relu"
    f.attrs["layer_names"] = names
    f.attrs["created_by"] = "Benchmarks/large_checkpoint.py"
    for name, (rows, cols) in zip(names, shapes):
        w = ((rng.random((rows, cols), dtype=np.float32) - 0.5) * np.float32(2 / np.sqrt(cols))).astype("<f4")
        b = np.zeros(rows, dtype="<f4")
        raw = name.encode()
        h.update(struct.pack("<Q", len(raw)) + raw + struct.pack("<QQQ", rows, cols, rows))
        h.update(w.astype("<f4").tobytes())
        h.update(b.tobytes())
        g = f.create_group(f"layers/{name}")
        g.create_dataset("weight", data=w)
        g.create_dataset("bias", data=b)
        del w
    f.attrs["fingerprint"] = h.hexdigest()
os.replace(tmp, out)
print(f"wrote {out}: {len(names)} layers, {os.path.getsize(out) / 2**20:.0f} MiB")
