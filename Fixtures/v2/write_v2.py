"""An independent h5py implementation of adaptool format v2 (spec/format.md), written from the spec.

Used as a library by generate_v2.py (the committed fixtures) and by the Swift tests (which check
that adaptool reads what this writes and that this reads what adaptool writes).

    from write_v2 import write_checkpoint, write_adapter, read_checkpoint, tensor_digest, model_fingerprint
"""
import hashlib
import struct

import h5py
import numpy as np

FORMAT_VERSION = 2

# dtype attribute -> (numpy dtype of the values, numpy dtype stored in HDF5)
DTYPES = {
    "float32": ("<f4", "<f4"), "float16": ("<f2", "<f2"), "float64": ("<f8", "<f8"),
    "bfloat16": ("<u2", "<u2"),  # bfloat16 values are handled as their uint16 bit patterns
    "int8": ("<i1", "<i1"), "int16": ("<i2", "<i2"), "int32": ("<i4", "<i4"), "int64": ("<i8", "<i8"),
    "uint8": ("<u1", "<u1"), "uint16": ("<u2", "<u2"), "uint32": ("<u4", "<u4"), "uint64": ("<u8", "<u8"),
    "bool": ("|b1", "<u1"),
}


def escape(name):
    """Tensor name -> HDF5 link name: % -> %25, / -> %2F, a leading . -> %2E."""
    out = name.replace("%", "%25").replace("/", "%2F")
    return "%2E" + out[1:] if out.startswith(".") else out


def unescape(link):
    data, i, raw = bytearray(), 0, link.encode()
    while i < len(raw):
        if raw[i:i + 1] == b"%":
            data.append(int(raw[i + 1:i + 3], 16))
            i += 3
        else:
            data.append(raw[i])
            i += 1
    return data.decode()


def bfloat16_bits(values):
    """float32 values -> bfloat16 bit patterns (uint16), rounded to nearest even."""
    bits = np.asarray(values, dtype="<f4").view("<u4").astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype("<u2")


def bfloat16_values(bits):
    """bfloat16 bit patterns (uint16) -> float32 values (exact)."""
    return (np.asarray(bits, dtype="<u2").astype("<u4") << 16).view("<f4")


def raw_bytes(dtype, array):
    """The stored little-endian bytes of `array` (already in DTYPES[dtype][0])."""
    return np.array(array, dtype=DTYPES[dtype][1], order="C").tobytes()


def u64(n):
    return struct.pack("<Q", n)


def tensor_digest(name, dtype, shape, data):
    """SHA-256 over u64(len name) name u64(len dtype) dtype u64(rank) u64(dim)... raw bytes."""
    h = hashlib.sha256()
    for text in (name, dtype):
        b = text.encode("utf-8")
        h.update(u64(len(b)) + b)
    h.update(u64(len(shape)))
    for d in shape:
        h.update(u64(d))
    h.update(data)
    return h.hexdigest()


def model_fingerprint(digests):
    """digests: {name: hex digest}. SHA-256 over names sorted by UTF-8 bytes: u64(len) name digest(32 bytes)."""
    h = hashlib.sha256()
    for name in sorted(digests, key=lambda n: n.encode("utf-8")):
        b = name.encode("utf-8")
        h.update(u64(len(b)) + b + bytes.fromhex(digests[name]))
    return h.hexdigest()


def write_tensor(group, link, dtype, array, extra, big_endian=False):
    """One tensor dataset; returns its digest. A 0-d array makes a scalar dataspace. With
    `big_endian`, the same values are stored big-endian (readers byte-swap; the digest is over
    the little-endian bytes either way)."""
    array = np.asarray(array, dtype=DTYPES[dtype][0])
    stored = np.array(array, dtype=DTYPES[dtype][1], order="C")
    digest = tensor_digest(extra.get("name", link), dtype, list(array.shape), stored.tobytes())
    ds = group.create_dataset(link, data=stored.astype(stored.dtype.newbyteorder(">")) if big_endian else stored)
    ds.attrs["dtype"] = dtype
    ds.attrs["sha256"] = digest
    for key, value in extra.items():
        ds.attrs[key] = value
    return digest


def write_checkpoint(path, tensors, architecture="unknown", files=None, shards=None, big_endian=False, **attrs):
    """tensors: list of (name, dtype, numpy array) in source order; files: {name: bytes}."""
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "adaptool.checkpoint"
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["architecture"] = architecture
        f.attrs["created_by"] = "write_v2.py"
        for key, value in attrs.items():
            f.attrs[key] = value
        group = f.create_group("tensors")
        digests = {}
        for order, (name, dtype, array) in enumerate(tensors):
            extra = {"name": name, "order": order}
            if shards and name in shards:
                extra["shard"] = shards[name]
            digests[name] = write_tensor(group, escape(name), dtype, array, extra, big_endian)
        if files:
            fg = f.create_group("files")
            for name, data in files.items():
                ds = fg.create_dataset(escape(name), data=np.frombuffer(data, dtype="u1"))
                ds.attrs["name"] = name
        f.attrs["fingerprint"] = model_fingerprint(digests)
        return digests


def write_adapter(path, method, targets, base_fingerprint=None):
    """targets: list of dicts {tensor, rank, scaling, layout, factors: {role: (dtype, array)}}."""
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "adaptool.adapter"
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["method"] = method
        f.attrs["created_by"] = "write_v2.py"
        if base_fingerprint:
            f.attrs["base_fingerprint"] = base_fingerprint
        root = f.create_group("targets")
        digests = {}
        for order, t in enumerate(targets):
            g = root.create_group(escape(t["tensor"]))
            g.attrs["tensor"] = t["tensor"]
            g.attrs["rank"] = t["rank"]
            g.attrs["scaling"] = float(t["scaling"])
            g.attrs["layout"] = t.get("layout", "out_in")
            g.attrs["order"] = order
            for role, (dtype, array) in t["factors"].items():
                # A factor's digest uses its role as the name.
                digests[t["tensor"] + "|" + role] = write_tensor(g, role, dtype, array, {})
        return digests


def read_checkpoint(path):
    """{name: (dtype, shape, raw bytes, stored sha256, order)} and the root attributes, checked."""
    out = {}
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] == "adaptool.checkpoint" and int(f.attrs["format_version"]) == 2
        for link, ds in f["tensors"].items():
            name, dtype = ds.attrs["name"], ds.attrs["dtype"]
            assert unescape(link) == name, (link, name)
            array = ds[()]
            data = np.array(array, dtype=DTYPES[dtype][1], order="C").tobytes()
            shape = list(ds.shape)
            assert tensor_digest(name, dtype, shape, data) == ds.attrs["sha256"], name
            out[name] = (dtype, shape, data, ds.attrs["sha256"], int(ds.attrs["order"]))
        fingerprint = model_fingerprint({n: v[3] for n, v in out.items()})
        assert fingerprint == f.attrs["fingerprint"], "model fingerprint"
        files = {ds.attrs["name"]: bytes(ds[()]) for ds in f["files"].values()} if "files" in f else {}
        return out, dict(f.attrs), files
