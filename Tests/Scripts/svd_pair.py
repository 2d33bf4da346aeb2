#!/usr/bin/env python3
"""Base/tuned pairs with a known ΔW spectrum, and numpy's reference figures for extract and diff
(the independent check of the randomized SVD; used by Tests/AdaptoolCLITests and Benchmarks/bench-svd.sh).

  svd_pair.py make OUT_DIR --rows M --cols N --spectrum lowrank|fast|slow|flat [--rank R] [--noise S] [--seed K]
      writes OUT_DIR/{mlp,model}_{base,tuned}.safetensors: the same float32 matrices as a v1-style MLP
      state dict (fc1.weight, fc1.bias) and as a v2-style model tensor (model.layers.0.mlp.down_proj.weight, with an unchanged model.norm.weight).
      ΔW = U·diag(s)·Vᵀ (+ S·Gaussian noise) with s: lowrank = R values in [1, 0.5]; fast = 0.7^i;
      slow = 1/sqrt(i+1); flat = a Gaussian matrix (s near-flat), scaled to 1e-2 of the base.
  svd_pair.py check BASE.safetensors TUNED.safetensors [--adapter A.h5] --rank R
      prints JSON: numpy's exact captured share, numerical rank (spec/math.md tolerance) and leading
      singular values, and for an adapter the share of ‖ΔW‖² its factors (as stored) capture.
  svd_pair.py share BASE.safetensors TUNED.safetensors A.h5
      prints 1 − ‖ΔW − B·A‖²/‖ΔW‖² for the adapter's stored factors (no SVD: fast on large layers).
  svd_pair.py digests A.h5
      prints JSON {dataset path: sha256 of its little-endian bytes} for every factor dataset.
"""
import argparse
import hashlib
import json
import os
import sys

import h5py
import numpy as np
from safetensors.numpy import load_file, save_file


def orthonormal(rng, rows, k):
    q, _ = np.linalg.qr(rng.standard_normal((rows, k)))
    return q


def make(args):
    rng = np.random.default_rng(args.seed)
    m, n = args.rows, args.cols
    base = (rng.standard_normal((m, n)) / np.sqrt(n)).astype(np.float32)
    k = min(m, n)
    if args.spectrum == "flat":
        delta = rng.standard_normal((m, n)) / np.sqrt(max(m, n))
    else:
        s = {"lowrank": np.linspace(1, 0.5, args.rank) if args.rank else np.zeros(0),
             "fast": 0.7 ** np.arange(k), "slow": 1 / np.sqrt(np.arange(k) + 1)}[args.spectrum]
        delta = (orthonormal(rng, m, len(s)) * s) @ orthonormal(rng, n, len(s)).T
    delta *= 1e-2 * np.linalg.norm(base, 2) / max(np.linalg.norm(delta, 2), 1e-300)
    if args.noise:
        delta += args.noise * rng.standard_normal((m, n))
    tuned = (base.astype(np.float64) + delta).astype(np.float32)
    if args.nan:
        tuned[0, 0] = np.nan
    os.makedirs(args.out, exist_ok=True)
    bias = np.zeros(m, dtype=np.float32)
    for side, w in (("base", base), ("tuned", tuned)):
        save_file({"fc1.weight": w, "fc1.bias": bias}, os.path.join(args.out, f"mlp_{side}.safetensors"))
        # The norm (1-D, unchanged) keeps `import` from reading the file as a v1 MLP state dict.
        save_file({"model.layers.0.mlp.down_proj.weight": w, "model.norm.weight": np.ones(n, dtype=np.float32)},
                  os.path.join(args.out, f"model_{side}.safetensors"))


def only_matrix(path):
    tensors = load_file(path)
    return next(v for v in tensors.values() if v.ndim == 2).astype(np.float64)


def factors(path):
    found = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                found[name.rsplit("/", 1)[-1]] = np.asarray(obj[()], dtype=np.float64)
        f.visititems(visit)
    a = found.get("A", found.get("lora_A"))
    b = found.get("B", found.get("lora_B"))
    return b, a


def check(args):
    base, tuned = only_matrix(args.base), only_matrix(args.tuned)
    delta = tuned - base
    m, n = delta.shape
    s = np.linalg.svd(delta, compute_uv=False)
    total = float((delta ** 2).sum())
    r = min(args.rank, len(s))
    largest = float(max(np.abs(base).max(), np.abs(tuned).max()))
    tol = max(s[0] * max(m, n) * np.finfo(np.float64).eps, np.finfo(np.float32).eps * largest * (np.sqrt(m) + np.sqrt(n)))
    out = {"exact_share": float((s[:r] ** 2).sum() / total) if total else 1.0, "rank": int((s > tol).sum()),
           "tolerance": float(tol), "singular_values": [float(x) for x in s[:64]], "delta_squares": total}
    if args.adapter:
        b, a = factors(args.adapter)
        out["written_share"] = float(1 - ((delta - b @ a) ** 2).sum() / total)
    print(json.dumps(out))


def share(args):
    delta = only_matrix(args.tuned) - only_matrix(args.base)
    b, a = factors(args.adapter)
    print(f"{1 - ((delta - b @ a) ** 2).sum() / (delta ** 2).sum():.12f}")


def digests(args):
    out = {}
    with h5py.File(args.adapter, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and name.rsplit("/", 1)[-1] in ("A", "B", "lora_A", "lora_B", "magnitude"):
                out[name] = hashlib.sha256(np.ascontiguousarray(obj[()]).astype(obj.dtype.newbyteorder("<")).tobytes()).hexdigest()
        f.visititems(visit)
    print(json.dumps(out, sort_keys=True))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("make")
    p.add_argument("out")
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--cols", type=int, required=True)
    p.add_argument("--spectrum", choices=["lowrank", "fast", "slow", "flat"], required=True)
    p.add_argument("--rank", type=int, default=0)
    p.add_argument("--noise", type=float, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--nan", action="store_true")
    p = sub.add_parser("check")
    p.add_argument("base")
    p.add_argument("tuned")
    p.add_argument("--adapter")
    p.add_argument("--rank", type=int, required=True)
    p = sub.add_parser("share")
    p.add_argument("base")
    p.add_argument("tuned")
    p.add_argument("adapter")
    p = sub.add_parser("digests")
    p.add_argument("adapter")
    args = parser.parse_args()
    {"make": make, "check": check, "share": share, "digests": digests}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
