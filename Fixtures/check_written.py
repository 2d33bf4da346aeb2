#!/usr/bin/env python3
"""Checks a file written by adaptool against spec/format.md using h5py + numpy only.

Usage: check_written.py FILE KIND [EXPECTED.json]
  KIND is checkpoint, lora, dora-output or dora-input.
  EXPECTED.json (optional) holds values the writer used: {"fingerprint": ..., "layers": {name:
  {"weight": [...], "bias": [...]}} or {"lora_A": [...], "lora_B": [...], "magnitude": [...]}},
  "attributes": {name: value}, "compressed": bool}; every value given is compared.

Prints "ok: ..." and exits 0 when the file conforms; prints each mismatch and exits 1 otherwise.
"""
import json
import sys

import h5py
import numpy as np

from fingerprint import fingerprint

problems = []


def fail(message):
    problems.append(message)


def check_attr(f, name, kind, required=True):
    """kind: str, strs, int, float, ints, floats — checked against the HDF5 type h5py reports."""
    if name not in f.attrs:
        if required:
            fail(f"root attribute {name!r} is missing")
        return None
    aid = f.attrs.get_id(name)
    dtype, shape = aid.dtype, aid.shape
    info = h5py.check_string_dtype(dtype)
    if kind in ("str", "strs"):
        if info is None or info.encoding != "utf-8" or info.length is not None:
            fail(f"attribute {name!r} is {dtype}, expected a variable-length UTF-8 string")
        if (kind == "str") != (shape == ()):
            fail(f"attribute {name!r} has shape {shape}, expected {'scalar' if kind == 'str' else '1-D'}")
    elif kind in ("int", "ints"):
        if dtype != np.dtype("<i8"):
            fail(f"attribute {name!r} is {dtype}, expected int64")
        if (kind == "int") != (shape == ()):
            fail(f"attribute {name!r} has shape {shape}")
    elif kind in ("float", "floats"):
        if dtype != np.dtype("<f8"):
            fail(f"attribute {name!r} is {dtype}, expected float64")
        if (kind == "float") != (shape == ()):
            fail(f"attribute {name!r} has shape {shape}")
    value = f.attrs[name]
    if kind == "strs":
        value = [v.decode() if isinstance(v, bytes) else str(v) for v in value]
    return value


def check_dataset(f, path, shape, compressed):
    link = f.get(path, getlink=True)
    if not isinstance(link, h5py.HardLink):
        fail(f"{path} is {type(link).__name__ if link is not None else 'missing'}, expected a hard link to a dataset")
        return None
    d = f[path]
    if not isinstance(d, h5py.Dataset):
        fail(f"{path} is not a dataset")
        return None
    if d.dtype != np.dtype("<f4"):
        fail(f"{path} is {d.dtype}, expected little-endian float32")
    if shape is not None and list(d.shape) != list(shape):
        fail(f"{path} has shape {list(d.shape)}, expected {list(shape)}")
    if d.external:
        fail(f"{path} uses external storage")
    if compressed is not None:
        is_compressed = d.compression == "gzip" and d.shuffle
        if compressed != is_compressed:
            fail(f"{path}: compression {d.compression} shuffle {d.shuffle}, expected {'shuffle+deflate' if compressed else 'none'}")
    return d[()]


def compare(label, actual, expected):
    if expected is None or actual is None:
        return
    expected = np.asarray(expected, dtype="<f4").reshape(actual.shape) if np.size(expected) == actual.size else None
    if expected is None:
        fail(f"{label}: expected values have a different size")
    elif not np.array_equal(actual.view("<u4"), expected.view("<u4")):
        fail(f"{label}: values differ from what the writer was given")


def check_common(f, fmt, expected):
    if check_attr(f, "format", "str") != fmt:
        fail(f"format is {f.attrs.get('format')!r}, expected {fmt!r}")
    if check_attr(f, "format_version", "int") != 1:
        fail(f"format_version is {f.attrs.get('format_version')!r}, expected 1")
    check_attr(f, "created_by", "str", required=False)
    check_attr(f, "provenance", "str", required=False)
    if "provenance" in f.attrs:
        json.loads(f.attrs["provenance"])
    for name, value in expected.get("attributes", {}).items():
        actual = f.attrs.get(name)
        if isinstance(actual, np.ndarray):
            actual = [v.decode() if isinstance(v, bytes) else v.item() if hasattr(v, "item") else v for v in actual]
        elif hasattr(actual, "item"):
            actual = actual.item()
        if actual != value:
            fail(f"attribute {name!r} is {actual!r}, expected {value!r}")


def check_checkpoint(f, expected):
    check_common(f, "adaptool.checkpoint", expected)
    if check_attr(f, "architecture", "str") != "mlp":
        fail("architecture is not 'mlp'")
    if check_attr(f, "activation", "str") != "relu":
        fail("activation is not 'relu'")
    names = check_attr(f, "layer_names", "strs") or []
    stored = check_attr(f, "fingerprint", "str")
    check_attr(f, "input_shape", "ints", required=False)
    check_attr(f, "normalization_mean", "floats", required=False)
    check_attr(f, "normalization_std", "floats", required=False)
    check_attr(f, "class_names", "strs", required=False)
    layers, previous = [], None
    for name in names:
        w = check_dataset(f, f"layers/{name}/weight", None, expected.get("compressed"))
        b = check_dataset(f, f"layers/{name}/bias", None, expected.get("compressed"))
        if w is None or b is None:
            continue
        if w.ndim != 2 or b.shape != (w.shape[0],):
            fail(f"layer {name}: weight {w.shape} and bias {b.shape} are not [out, in] and [out]")
            continue
        if previous is not None and w.shape[1] != previous:
            fail(f"layer {name} takes {w.shape[1]} inputs, previous layer gives {previous}")
        previous = w.shape[0]
        given = expected.get("layers", {}).get(name, {})
        compare(f"{name}/weight", w, given.get("weight"))
        compare(f"{name}/bias", b, given.get("bias"))
        layers.append((name, w, b))
    recomputed = fingerprint(layers)
    if stored != recomputed:
        fail(f"stored fingerprint {stored} != recomputed {recomputed}")
    if "fingerprint" in expected and expected["fingerprint"] != recomputed:
        fail(f"fingerprint {recomputed} != the library's {expected['fingerprint']}")
    return f"checkpoint, {len(layers)} layers, fingerprint {recomputed}"


def check_adapter(f, kind, expected):
    check_common(f, "adaptool.adapter", expected)
    method = "lora" if kind == "lora" else "dora"
    if check_attr(f, "method", "str") != method:
        fail(f"method is {f.attrs.get('method')!r}, expected {method!r}")
    rank = check_attr(f, "rank", "int")
    check_attr(f, "alpha", "float")
    scaling = check_attr(f, "scaling", "float")
    axis = None
    if method == "dora":
        axis = check_attr(f, "norm_axis", "str")
        if axis != kind.split("-")[1]:
            fail(f"norm_axis is {axis!r}, expected {kind.split('-')[1]!r}")
    elif "norm_axis" in f.attrs:
        fail("a LoRA adapter has a norm_axis attribute")
    targets = check_attr(f, "target_layers", "strs") or []
    base = check_attr(f, "base_fingerprint", "str") or ""
    if len(base) != 64 or any(c not in "0123456789abcdef" for c in base):
        fail(f"base_fingerprint {base!r} is not 64 lower-case hex digits")
    for name in targets:
        group = f.get(f"layers/{name}")
        if group is None:
            fail(f"/layers/{name} is missing")
            continue
        r = int(group.attrs.get("rank", rank))
        if "scaling" in group.attrs and not np.isfinite(group.attrs["scaling"]):
            fail(f"/layers/{name} scaling is not finite")
        a = check_dataset(f, f"layers/{name}/lora_A", None, expected.get("compressed"))
        b = check_dataset(f, f"layers/{name}/lora_B", None, expected.get("compressed"))
        if a is None or b is None:
            continue
        if a.ndim != 2 or a.shape[0] != r or b.ndim != 2 or b.shape[1] != r:
            fail(f"layer {name}: lora_A {a.shape} / lora_B {b.shape} do not match rank {r}")
            continue
        given = expected.get("layers", {}).get(name, {})
        compare(f"{name}/lora_A", a, given.get("lora_A"))
        compare(f"{name}/lora_B", b, given.get("lora_B"))
        if method == "dora":
            size = b.shape[0] if axis == "output" else a.shape[1]
            m = check_dataset(f, f"layers/{name}/magnitude", [size], expected.get("compressed"))
            compare(f"{name}/magnitude", m, given.get("magnitude"))
        elif f"layers/{name}/magnitude" in f:
            fail(f"LoRA layer {name} has a magnitude dataset")
    return f"{method} adapter, rank {rank}, scaling {scaling}, {len(targets)} layers"


def main():
    if len(sys.argv) not in (3, 4) or sys.argv[2] not in ("checkpoint", "lora", "dora-output", "dora-input"):
        print(__doc__, file=sys.stderr)
        return 2
    path, kind = sys.argv[1], sys.argv[2]
    expected = {}
    if len(sys.argv) == 4:
        with open(sys.argv[3]) as handle:
            expected = json.load(handle)
    try:
        with h5py.File(path, "r") as f:
            summary = check_checkpoint(f, expected) if kind == "checkpoint" else check_adapter(f, kind, expected)
    except Exception as error:  # an unreadable file is a failure, reported like the others
        fail(f"cannot read: {type(error).__name__}: {error}")
        summary = ""
    if problems:
        for message in problems:
            print(f"{path}: {message}", file=sys.stderr)
        return 1
    print(f"ok: {path}: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
