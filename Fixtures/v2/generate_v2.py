"""Writes the committed format-v2 fixtures (Fixtures/v2/*.h5) and expected_v2.json with h5py and
numpy only, through write_v2.py (an implementation independent of adaptool's Swift code).

    python3 Fixtures/v2/generate_v2.py
"""
import json
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from write_v2 import (bfloat16_bits, escape, model_fingerprint, raw_bytes, tensor_digest,  # noqa: E402
                      write_adapter, write_checkpoint)

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(9)


def path(name):
    return os.path.join(HERE, name)


def floats(*shape):
    return rng.standard_normal(shape).astype("<f4")


# A tiny mixed-dtype "model": every dtype family, a scalar, a zero-length tensor, awkward names.
TENSORS = [
    ("model.embed_tokens.weight", "bfloat16", bfloat16_bits(floats(8, 4))),
    ("model.layers.0.self_attn.q_proj.weight", "float16", floats(4, 4).astype("<f2")),
    ("model.layers.0.self_attn.q_proj.bias", "float32", floats(4)),
    ("model.layers.0.mlp.down_proj.weight", "float32", floats(4, 6)),
    ("lm_head.weight", "float64", rng.standard_normal((8, 4))),
    ("model.position_ids", "int64", np.arange(5, dtype="<i8").reshape(1, 5) - 2),
    ("bn.num_batches_tracked", "int64", np.array(7, dtype="<i8")),
    ("weird/name%25.x", "float32", floats(3)),
    (".hidden", "int8", np.array([-3, 4], dtype="<i1")),
    ("mask", "bool", np.array([True, False, True])),
    ("empty", "float32", np.zeros((0, 3), dtype="<f4")),
    ("counts", "uint32", np.array([1, 2, 4000000000], dtype="<u4")),
]
FILES = {"config.json": b'{"model_type": "tiny", "hidden_size": 4}\n', "tokenizer/vocab.txt": b"a\nb\n"}
SHARDS = {name: "model-0000%d-of-00002.safetensors" % (1 + i % 2) for i, (name, _, _) in enumerate(TENSORS)}


def tensor_entry(name, dtype, array):
    data = raw_bytes(dtype, array)
    shape = list(np.asarray(array).shape)
    return {"name": name, "dtype": dtype, "shape": shape, "hex": data.hex(), "sha256": tensor_digest(name, dtype, shape, data)}


def adapter_targets(method):
    targets = []
    for tensor, (out, inputs), rank, scaling, dtype in [("model.layers.0.self_attn.q_proj.weight", (4, 4), 2, 2.0, "float16"),
                                                        ("model.layers.0.mlp.down_proj.weight", (4, 6), 3, 0.5, "float32")]:
        factors = {"A": (dtype, floats(rank, inputs).astype(dtype)), "B": (dtype, floats(out, rank).astype(dtype))}
        if method == "dora":
            factors["magnitude"] = (dtype, (np.abs(floats(out)) + 0.5).astype(dtype))
        targets.append({"tensor": tensor, "rank": rank, "scaling": scaling, "layout": "out_in", "factors": factors})
    return targets


def adapter_expectation(targets, fingerprint, method):
    return {"method": method, "base_fingerprint": fingerprint, "targets": [
        {"tensor": t["tensor"], "rank": t["rank"], "scaling": t["scaling"], "layout": t["layout"],
         "factors": {role: tensor_entry(role, d, a) for role, (d, a) in t["factors"].items()}} for t in targets]}


def invalid_checkpoint(name, expected, mutate):
    """A valid tiny checkpoint, then `mutate(f)` breaks one thing."""
    write_checkpoint(path(name), [("w", "float32", floats(2, 2)), ("b", "float32", floats(2))])
    with h5py.File(path(name), "a") as f:
        mutate(f)
    return name, expected


def invalid_adapter(name, expected, mutate):
    """A valid one-target LoRA, then `mutate(f)` breaks one thing."""
    write_adapter(path(name), "lora", [{"tensor": "w", "rank": 1, "scaling": 1.0, "layout": "out_in",
                                        "factors": {"A": ("float32", floats(1, 2)), "B": ("float32", floats(2, 1))}}])
    with h5py.File(path(name), "a") as f:
        mutate(f)
    return name, expected


def invalid_adapters():
    def set_target(key, value):
        return lambda f: f["targets/w"].attrs.__setitem__(key, value)

    def int_factor(f):
        del f["targets/w/A"]
        ds = f["targets/w"].create_dataset("A", data=np.ones((1, 2), dtype="<i4"))
        ds.attrs.update({"dtype": "int32", "sha256": "0" * 64})

    def twice(f):  # "a%2Fb" and "a%2fb" both stand for "a/b"
        for order, link in [(1, "a%2Fb"), (2, "a%2fb")]:
            f.copy(f["targets/w"], f["targets"], name=link)
            f["targets"][link].attrs.update({"tensor": "a/b", "order": order})

    def empty(f):
        del f["targets/w"]

    cases = [
        invalid_adapter("v2_adapter_bad_layout.h5", 'attribute "layout" of /targets/w is "rows"', set_target("layout", "rows")),
        invalid_adapter("v2_adapter_nan_scaling.h5", 'attribute "scaling" of /targets/w is nan', set_target("scaling", float("nan"))),
        invalid_adapter("v2_adapter_bad_rank.h5", 'attribute "rank" of /targets/w is 0', set_target("rank", 0)),
        invalid_adapter("v2_adapter_int_factor.h5", 'tensor "w": factor "A" is int32', int_factor),
        invalid_adapter("v2_adapter_twice.h5", 'tensor "a/b": is targeted twice', twice),
        invalid_adapter("v2_adapter_link_mismatch.h5", 'does not unescape to its tensor attribute', set_target("tensor", "v")),
        invalid_adapter("v2_adapter_empty.h5", "/targets\": is empty", empty),
    ]
    return dict(cases)


def main():
    expected = {"valid": {}, "invalid": {}}
    digests = write_checkpoint(path("checkpoint_v2.h5"), TENSORS, architecture="tiny", files=FILES, shards=SHARDS,
                               provenance='{"source": "generate_v2.py"}', safetensors_metadata='{"format": "pt"}')
    fingerprint = model_fingerprint(digests)
    expected["valid"]["checkpoint_v2.h5"] = {
        "architecture": "tiny", "fingerprint": fingerprint, "tensors": [tensor_entry(*t) for t in TENSORS],
        "shards": SHARDS, "files": {k: v.hex() for k, v in FILES.items()},
        "links": {name: escape(name) for name, _, _ in TENSORS}}
    big_endian = [t for t in TENSORS if t[1] not in ("bool", "int8")]
    digests = write_checkpoint(path("checkpoint_v2_bigendian.h5"), big_endian, big_endian=True)
    expected["valid"]["checkpoint_v2_bigendian.h5"] = {
        "architecture": "unknown", "fingerprint": model_fingerprint(digests), "tensors": [tensor_entry(*t) for t in big_endian]}
    for method in ["lora", "dora"]:
        targets = adapter_targets(method)
        write_adapter(path("adapter_%s_v2.h5" % method), method, targets, base_fingerprint=fingerprint)
        expected["valid"]["adapter_%s_v2.h5" % method] = adapter_expectation(targets, fingerprint, method)

    def set_attr(link, key, value):
        return lambda f: f["tensors"][link].attrs.__setitem__(key, value)

    def del_attr(link, key):
        return lambda f: f["tensors"][link].attrs.__delitem__(key)

    def retype(f):  # dtype says float32 but the data is int32
        del f["tensors/b"]
        ds = f["tensors"].create_dataset("b", data=np.array([1, 2], dtype="<i4"))
        ds.attrs.update({"name": "b", "dtype": "float32", "order": 1, "sha256": "0" * 64})

    def duplicate(f):  # "a%2Fb" and "a%2fb" both stand for "a/b"
        for order, link in [(2, "a%2Fb"), (3, "a%2fb")]:
            ds = f["tensors"].create_dataset(link, data=np.zeros(2, dtype="<f4"))
            ds.attrs.update({"name": "a/b", "dtype": "float32", "order": order, "sha256": "0" * 64})

    def never_written(f):  # declares 4 GiB the file never stored
        ds = f["tensors"].create_dataset("huge", shape=(1 << 20, 1 << 10), dtype="<f4")
        ds.attrs.update({"name": "huge", "dtype": "float32", "order": 2, "sha256": "0" * 64})

    def overflow(f):  # a shape whose element count overflows 64 bits
        ds = f["tensors"].create_dataset("vast", shape=(2**31 - 1,) * 3, dtype="<f4", chunks=(1, 1, 1))
        ds.attrs.update({"name": "vast", "dtype": "float32", "order": 2, "sha256": "0" * 64})

    def tamper(f):  # changes one value without updating its digest: verify must name "b"
        f["tensors/b"][0] = 42.0

    def bad_version(f):
        f.attrs["format_version"] = 3

    cases = [
        invalid_checkpoint("v2_bad_dtype.h5", 'tensor "w": attribute dtype is "float8"', set_attr("w", "dtype", "float8")),
        invalid_checkpoint("v2_type_mismatch.h5", 'tensor "b": is stored as HDF5 int32', retype),
        invalid_checkpoint("v2_missing_sha256.h5", 'lacks the required attribute "sha256"', del_attr("w", "sha256")),
        invalid_checkpoint("v2_bad_sha256.h5", 'tensor "w": attribute sha256 is "ABC"', set_attr("w", "sha256", "ABC")),
        invalid_checkpoint("v2_duplicate_names.h5", 'tensor "a/b": is stored twice', duplicate),
        invalid_checkpoint("v2_link_mismatch.h5", 'tensor "w": its link name "w" does not unescape', set_attr("w", "name", "v")),
        invalid_checkpoint("v2_never_written.h5", 'tensor "huge": declares 4294967296 bytes', never_written),
        invalid_checkpoint("v2_shape_overflow.h5", 'tensor "vast": has shape', overflow),
        invalid_checkpoint("v2_duplicate_order.h5", 'has order 0, like tensor', set_attr("b", "order", 0)),
        invalid_checkpoint("v2_bad_version.h5", "format_version 3 is not supported", bad_version),
    ]
    for name, message in cases:
        expected["invalid"][name] = message
    expected["invalid_adapters"] = invalid_adapters()
    name, _ = invalid_checkpoint("v2_tampered.h5", "", tamper)
    expected["tampered"] = {"v2_tampered.h5": "b"}
    with open(path("expected_v2.json"), "w") as out:
        json.dump(expected, out, indent=1, sort_keys=True)
        out.write("\n")


if __name__ == "__main__":
    main()
