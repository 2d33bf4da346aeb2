#!/usr/bin/env python3
"""Writes the adaptool v1 conformance fixtures with h5py + numpy, straight from spec/format.md.

This is the independent second implementation of the format: it shares no code with the Swift
library. Usage: python3 Fixtures/generate.py Fixtures  (deterministic: same bytes every run).

Writes valid files (checkpoints in float32/float64/float16/big-endian/compressed, LoRA and DoRA
adapters), deliberately invalid files, and expected.json with the values and error texts the
Swift conformance tests compare against.
"""
import json
import os
import sys

import h5py
import numpy as np

from fingerprint import fingerprint

SIZES = [12, 8, 3]            # input 12 = 3·2·2, hidden 8, 3 classes
NAMES = ["fc1", "fc2"]
INPUT_SHAPE = [3, 2, 2]
CLASS_NAMES = ["cat", "dog", "ship"]
MEAN = [0.49, 0.48, 0.45]
STD = [0.25, 0.24, 0.26]


def base_layers(seed=1):
    rng = np.random.default_rng(seed)
    return [(name, rng.uniform(-1, 1, (o, i)), rng.uniform(-0.5, 0.5, o))
            for name, i, o in zip(NAMES, SIZES, SIZES[1:])]


def as_f32(layers):
    return [(n, w.astype("<f4"), b.astype("<f4")) for n, w, b in layers]


def write_checkpoint(path, layers, dtype="<f4", attrs=None, drop=(), dataset_options=None, fp=None, libver="earliest"):
    """Writes a checkpoint; `attrs` overrides/extends root attributes, `drop` removes some;
    libver="latest" gives version-2 object headers (and dense attribute storage when there are many)."""
    stored = [(n, w.astype(dtype), b.astype(dtype)) for n, w, b in layers]
    root = {
        "format": "adaptool.checkpoint",
        "format_version": 1,
        "architecture": "mlp",
        "activation": "relu",
        "layer_names": [n for n, _, _ in layers],
        "fingerprint": fp or fingerprint(as_f32(stored)),
        "input_shape": INPUT_SHAPE,
        "normalization_mean": MEAN,
        "normalization_std": STD,
        "class_names": CLASS_NAMES,
        "created_by": "Fixtures/generate.py (h5py %s)" % h5py.__version__.split(".")[0],
        "provenance": json.dumps({"kind": "fixture", "seed": 1}),
    }
    root.update(attrs or {})
    with h5py.File(path, "w", libver=libver) as f:
        for key, value in root.items():
            if key not in drop:
                f.attrs[key] = value
        for name, w, b in stored:
            g = f.create_group(f"layers/{name}")
            g.create_dataset("weight", data=w, **(dataset_options or {}))
            g.create_dataset("bias", data=b, **(dataset_options or {}))
    return stored


def adapter_layers(base, method, rank, norm_axis, seed, ranks=None):
    rng = np.random.default_rng(seed)
    out = []
    for name, w, _ in base:
        r = (ranks or {}).get(name, rank)
        o, i = w.shape
        a = rng.uniform(-0.5, 0.5, (r, i)).astype("<f4")
        b = rng.uniform(-0.5, 0.5, (o, r)).astype("<f4")
        m = None
        if method == "dora":
            m = rng.uniform(0.5, 2.0, o if norm_axis == "output" else i).astype("<f4")
        out.append((name, a, b, m))
    return out


def write_adapter(path, base_fp, layers, method, rank, alpha, scaling, norm_axis=None,
                  attrs=None, drop=(), layer_attrs=None, libver="earliest"):
    root = {
        "format": "adaptool.adapter",
        "format_version": 1,
        "method": method,
        "rank": rank,
        "alpha": alpha,
        "scaling": scaling,
        "target_layers": [n for n, _, _, _ in layers],
        "base_fingerprint": base_fp,
        "created_by": "Fixtures/generate.py",
    }
    if norm_axis:
        root["norm_axis"] = norm_axis
    root.update(attrs or {})
    with h5py.File(path, "w", libver=libver) as f:
        for key, value in root.items():
            if key not in drop:
                f.attrs[key] = value
        for name, a, b, m in layers:
            g = f.create_group(f"layers/{name}")
            for key, value in (layer_attrs or {}).get(name, {}).items():
                g.attrs[key] = value
            g.create_dataset("lora_A", data=a)
            g.create_dataset("lora_B", data=b)
            if m is not None:
                g.create_dataset("magnitude", data=m)


def checkpoint_expectation(stored, dtype_name, compression=None):
    f32 = as_f32(stored)
    return {
        "kind": "checkpoint",
        "layer_names": [n for n, _, _ in f32],
        "shapes": {n: {"weight": list(w.shape), "bias": list(b.shape)} for n, w, b in f32},
        "dtype": dtype_name,
        "compression": compression,
        "fingerprint": fingerprint(f32),
        "input_shape": INPUT_SHAPE,
        "normalization_mean": MEAN,
        "normalization_std": STD,
        "class_names": CLASS_NAMES,
        "parameters": int(sum(w.size + b.size for _, w, b in f32)),
        "values": {n: {"weight": [float(x) for x in w.ravel()], "bias": [float(x) for x in b.ravel()]}
                   for n, w, b in f32},
    }


def adapter_expectation(layers, method, rank, alpha, scaling, norm_axis, base_fp, layer_scaling=None):
    return {
        "kind": "adapter",
        "method": method,
        "rank": rank,
        "alpha": alpha,
        "scaling": scaling,
        "norm_axis": norm_axis,
        "target_layers": [n for n, _, _, _ in layers],
        "base_fingerprint": base_fp,
        "parameters": int(sum(a.size + b.size + (0 if m is None else m.size) for _, a, b, m in layers)),
        "layers": {n: {"scaling": (layer_scaling or {}).get(n, scaling),
                       "lora_A_shape": list(a.shape), "lora_B_shape": list(b.shape),
                       "magnitude_shape": None if m is None else list(m.shape),
                       "lora_A": [float(x) for x in a.ravel()], "lora_B": [float(x) for x in b.ravel()],
                       "magnitude": None if m is None else [float(x) for x in m.ravel()]}
                   for n, a, b, m in layers},
    }


def main(folder):
    os.makedirs(folder, exist_ok=True)
    p = lambda name: os.path.join(folder, name)
    valid, invalid = {}, {}
    base = base_layers()

    # --- valid checkpoints -------------------------------------------------------------------
    stored = write_checkpoint(p("checkpoint.h5"), base, attrs={"future_optional_attribute": "ignored by v1 readers"})
    valid["checkpoint.h5"] = checkpoint_expectation(stored, "float32")
    base_fp = valid["checkpoint.h5"]["fingerprint"]
    stored = write_checkpoint(p("checkpoint_float64.h5"), base, dtype="<f8")
    valid["checkpoint_float64.h5"] = checkpoint_expectation(stored, "float64")
    stored = write_checkpoint(p("checkpoint_float16.h5"), base, dtype="<f2")
    valid["checkpoint_float16.h5"] = checkpoint_expectation(stored, "float16")
    stored = write_checkpoint(p("checkpoint_bigendian.h5"), base, dtype=">f4")
    valid["checkpoint_bigendian.h5"] = checkpoint_expectation(stored, "float32")
    stored = write_checkpoint(p("checkpoint_compressed.h5"), base, dataset_options={
        "chunks": True, "compression": "gzip", "compression_opts": 6, "shuffle": True, "fletcher32": True})
    valid["checkpoint_compressed.h5"] = checkpoint_expectation(stored, "float32", "shuffle+deflate(6)+fletcher32")
    assert valid["checkpoint_compressed.h5"]["fingerprint"] == base_fp
    # Newest HDF5 layout: v2 object headers, v3 attribute messages, 20 extra attributes (dense storage).
    extra = {f"extra_{i:02d}": "x" * i for i in range(1, 21)}
    stored = write_checkpoint(p("checkpoint_libver_latest.h5"), base, attrs=extra, libver="latest")
    valid["checkpoint_libver_latest.h5"] = checkpoint_expectation(stored, "float32")

    # --- valid adapters ------------------------------------------------------------------------
    lora = adapter_layers(stored, "lora", 2, None, seed=2, ranks={"fc2": 3})
    write_adapter(p("adapter_lora.h5"), base_fp, lora, "lora", 2, 4.0, 2.0,
                  layer_attrs={"fc2": {"rank": 3, "scaling": 0.5}})
    valid["adapter_lora.h5"] = adapter_expectation(lora, "lora", 2, 4.0, 2.0, None, base_fp, {"fc2": 0.5})
    for axis, seed in (("output", 3), ("input", 4)):
        dora = adapter_layers(stored, "dora", 2, axis, seed=seed)
        write_adapter(p(f"adapter_dora_{axis}.h5"), base_fp, dora, "dora", 2, 2.0, 1.0, norm_axis=axis)
        valid[f"adapter_dora_{axis}.h5"] = adapter_expectation(dora, "dora", 2, 2.0, 1.0, axis, base_fp)
    write_adapter(p("adapter_libver_latest.h5"), base_fp, lora, "lora", 2, 4.0, 2.0,
                  layer_attrs={"fc2": {"rank": 3, "scaling": 0.5}}, libver="latest")
    valid["adapter_libver_latest.h5"] = adapter_expectation(lora, "lora", 2, 4.0, 2.0, None, base_fp, {"fc2": 0.5})

    # A foreign HDF5 file: inspect lists its tree and never follows its links.
    with h5py.File(p("foreign.h5"), "w") as f:
        f.attrs["title"] = "not an adaptool file"
        f.create_dataset("data/images", data=np.arange(24, dtype="<i4").reshape(2, 3, 4))
        f.create_dataset("data/labels", data=np.arange(2, dtype="<f8"))
        f["data/alias"] = h5py.SoftLink("/data/images")
        f["elsewhere"] = h5py.ExternalLink("other.h5", "/x")
    valid["foreign.h5"] = {"kind": "foreign", "tree": {
        "/data": "group", "/data/alias": "soft link", "/data/images": "dataset",
        "/data/labels": "dataset", "/elsewhere": "external link"}}

    # --- files that open but fail --verify -------------------------------------------------------
    nan_base = [(n, w.copy(), b) for n, w, b in base]
    nan_base[1][1][0, 0] = np.nan
    write_checkpoint(p("nan_weight.h5"), nan_base)
    invalid["nan_weight.h5"] = {"kind": "checkpoint", "stage": "verify", "error": "non-finite"}
    write_checkpoint(p("wrong_fingerprint.h5"), base, fp="0" * 64)
    invalid["wrong_fingerprint.h5"] = {"kind": "checkpoint", "stage": "verify", "error": "fingerprint mismatch"}

    # --- files refused on open --------------------------------------------------------------------
    def bad_checkpoint(name, error, **options):
        write_checkpoint(p(name), options.pop("layers", base), **options)
        invalid[name] = {"kind": "checkpoint", "stage": "open", "error": error}

    # Version 2 exists now (named tensors): an unknown version is 3.
    bad_checkpoint("bad_version.h5", "format_version 3 is not supported", attrs={"format_version": 3})
    bad_checkpoint("missing_attribute.h5", 'lacks the required attribute "activation"', drop=("activation",))
    bad_checkpoint("wrong_format.h5", 'not an adaptool.checkpoint file', attrs={"format": "something.else"})
    invalid["wrong_format.h5"]["inspect_error"] = "not an adaptool checkpoint or adapter"
    bad_checkpoint("bad_architecture.h5", 'format v1 defines only "mlp"', attrs={"architecture": "cnn"})
    bad_checkpoint("bad_fingerprint_text.h5", "must be 64 lower-case hex digits", fp="ABC")
    bad_checkpoint("duplicate_layer_names.h5", "lists a layer more than once", attrs={"layer_names": ["fc1", "fc1"]})
    bad_checkpoint("class_names_mismatch.h5", "lists 2 classes but the last layer has 3 outputs",
                   attrs={"class_names": ["cat", "dog"]})
    bad_checkpoint("input_shape_mismatch.h5", "but the first layer takes 12 inputs", attrs={"input_shape": [3, 32, 32]})
    bad_checkpoint("bad_normalization.h5", "must be finite and positive", attrs={"normalization_std": [0.25, 0.0, 0.26]})
    bad_checkpoint("integer_weights.h5", "is int32, expected float32", dtype="<i4")
    bad_checkpoint("lzf_filter.h5", "uses filter 32000", dataset_options={"compression": "lzf"})
    broken = [base[0], ("fc2", base[1][1][:, :7], base[1][2])]
    bad_checkpoint("bad_shape_chain.h5", "takes 7 inputs but the previous layer gives 8", layers=broken)
    broken = [base[0], ("fc2", base[1][1], base[1][2][:2])]
    bad_checkpoint("bad_bias_shape.h5", "bias has shape [2], expected [3]", layers=broken)

    # Structural problems, made by editing a valid file.
    def edit(name, error, change):
        write_checkpoint(p(name), base)
        with h5py.File(p(name), "a") as f:
            change(f)
        invalid[name] = {"kind": "checkpoint", "stage": "open", "error": error}

    def soft(f):
        f.create_dataset("elsewhere/weight", data=f["layers/fc1/weight"][()])
        del f["layers/fc1/weight"]
        f["layers/fc1/weight"] = h5py.SoftLink("/elsewhere/weight")

    def external(f):
        del f["layers/fc1/weight"]
        f["layers/fc1/weight"] = h5py.ExternalLink("checkpoint.h5", "/layers/fc1/weight")

    def external_storage(f):
        del f["layers/fc1/weight"]
        f.create_dataset("layers/fc1/weight", shape=(8, 12), dtype="<f4",
                         external=[("external_storage.bin", 0, 8 * 12 * 4)])

    def virtual(f):
        del f["layers/fc1/weight"]
        layout = h5py.VirtualLayout(shape=(8, 12), dtype="<f4")
        layout[:] = h5py.VirtualSource("checkpoint.h5", "/layers/fc1/weight", shape=(8, 12))
        f.create_virtual_dataset("layers/fc1/weight", layout)

    def huge(f):
        # Declared 3·2^30 elements (12 GiB), none stored: a reader must refuse before allocating.
        del f["layers/fc2/weight"]
        f.create_dataset("layers/fc2/weight", shape=(3, 1 << 30), dtype="<f4", chunks=(1, 1024))

    def missing_dataset(f):
        del f["layers/fc2/bias"]

    def scalar_weight(f):
        del f["layers/fc1/weight"]
        f["layers/fc1/weight"] = np.float32(1.0)

    edit("soft_link.h5", "is a soft link; adaptool follows only hard links", soft)
    edit("external_link.h5", "is an external link; adaptool follows only hard links", external)
    edit("external_storage.h5", "uses external storage", external_storage)
    edit("virtual_dataset.h5", "is a virtual dataset", virtual)
    edit("huge_dataset.h5", "more than the 1073741824 adaptool accepts", huge)
    edit("missing_dataset.h5", "/layers/fc2/bias", missing_dataset)
    edit("scalar_weight.h5", "weight has shape [], expected [out, in]", scalar_weight)

    with open(p("checkpoint.h5"), "rb") as source:
        data = source.read()
    with open(p("truncated.h5"), "wb") as f:
        f.write(data[: len(data) // 2])
    invalid["truncated.h5"] = {"kind": "checkpoint", "stage": "open", "error": "truncated file"}
    with open(p("not_hdf5.h5"), "wb") as f:
        f.write(b"this is not an HDF5 file, just text pretending to be one\n" * 4)
    invalid["not_hdf5.h5"] = {"kind": "checkpoint", "stage": "open", "error": "as HDF5"}

    # --- invalid adapters ----------------------------------------------------------------------------
    def bad_adapter(name, error, method="lora", norm_axis=None, layers=None, **options):
        layers = layers or adapter_layers(stored, method, 2, norm_axis, seed=5)
        write_adapter(p(name), base_fp, layers, method, 2, 4.0, 2.0, norm_axis=norm_axis, **options)
        invalid[name] = {"kind": "adapter", "stage": "open", "error": error}

    bad_adapter("adapter_bad_version.h5", "format_version 7 is not supported", attrs={"format_version": 7})
    bad_adapter("adapter_bad_method.h5", 'must be "lora" or "dora"', attrs={"method": "ia3"})
    bad_adapter("adapter_missing_scaling.h5", 'lacks the required attribute "scaling"', drop=("scaling",))
    bad_adapter("adapter_dora_missing_norm_axis.h5", 'lacks the required attribute "norm_axis"', method="dora",
                layers=adapter_layers(stored, "dora", 2, "output", seed=5))
    bad_adapter("adapter_bad_norm_axis.h5", 'expected "output" or "input"', method="dora", norm_axis="rows",
                layers=adapter_layers(stored, "dora", 2, "output", seed=5))
    bad_adapter("adapter_bad_base_fingerprint.h5", "must be 64 lower-case hex digits",
                attrs={"base_fingerprint": base_fp.upper()})
    bad_adapter("adapter_bad_rank_shape.h5", "lora_A has shape [3, 12], expected [2, in]",
                layers=adapter_layers(stored, "lora", 3, None, seed=5))
    bad_adapter("adapter_bad_layer_rank.h5", 'attribute "rank" of /layers/fc1', layer_attrs={"fc1": {"rank": 2.5}})
    bad_adapter("adapter_bad_magnitude.h5", "magnitude has shape [8], expected [12]", method="dora", norm_axis="input",
                layers=adapter_layers(stored, "dora", 2, "output", seed=5))
    bad_adapter("adapter_nan_scaling.h5", "must be finite", attrs={"scaling": float("nan")})

    expected = {
        "generator": "Fixtures/generate.py",
        "spec": "spec/format.md",
        "valid": valid,
        "invalid": invalid,
    }
    with open(p("expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
