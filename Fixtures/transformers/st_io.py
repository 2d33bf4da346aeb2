"""safetensors writing and reading for the transformer fixtures, independent of adaptool.

numpy has no bfloat16, so `write_safetensors` writes the file itself, byte for byte as the
reference writer (the `safetensors` package) lays it out: an 8-byte little-endian header length,
a compact JSON header (`__metadata__` first, then the tensors ordered by dtype from widest to
narrowest and by name within a dtype, data offsets contiguous from 0), padded with spaces to a
multiple of 8, then the data. `self_test` checks that it gives the same bytes as
`safetensors.numpy.save_file` for every dtype numpy has, so the BF16 files follow the same rules.
"""
import json
import os
import struct

import numpy as np
from safetensors.numpy import save_file

#: The reference writer orders tensors by its Dtype enum, greatest first (widest dtypes first so
#: every tensor stays aligned). Only the dtypes these fixtures use are listed.
DTYPE_ORDER = ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]

#: numpy dtype → safetensors dtype name.
NUMPY_NAMES = {
    np.dtype("float64"): "F64", np.dtype("float32"): "F32", np.dtype("float16"): "F16",
    np.dtype("int64"): "I64", np.dtype("int32"): "I32", np.dtype("uint8"): "U8", np.dtype("bool"): "BOOL",
}

ST_METADATA = {"format": "pt"}  # what transformers and PEFT write into every file


class BF16:
    """A bfloat16 tensor: its uint16 bit patterns (numpy has no bfloat16 type)."""

    def __init__(self, bits):
        self.bits = np.ascontiguousarray(bits, dtype="<u2")
        self.shape = self.bits.shape
        self.nbytes = self.bits.nbytes

    def widened(self):
        """Exact float64 values (bfloat16 → float32 is a 16-bit shift, float32 → float64 is exact)."""
        return (self.bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def bf16_from(values):
    """Rounds float64 (or float32) values to bfloat16 ONCE: to nearest, ties to even (finite only).

    Going float64 → float32 → bfloat16 would round twice, so the float64 value is compared with
    the bfloat16 values next to its float32 approximation and the nearest is taken.
    """
    x = np.asarray(values, dtype=np.float64)
    assert np.all(np.isfinite(x)), "bf16_from takes finite values only"
    magnitude = np.abs(x)
    # Truncate |x| (via float32, which may round up across a boundary) to bfloat16 magnitude bits.
    high = (magnitude.astype(np.float32).view(np.uint32) >> 16).astype(np.int64)
    candidates = np.stack([np.maximum(high - 1, 0), high, high + 1])  # magnitude bit patterns
    values64 = (candidates.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    distance = np.abs(values64 - magnitude)
    best = distance == distance.min(axis=0)
    # Prefer the nearest; among equally near ones (a tie), the one with an even last bit.
    score = best * 2 + (best & (candidates % 2 == 0))
    chosen = np.take_along_axis(candidates, np.argmax(score, axis=0)[None], axis=0)[0]
    bits = (chosen | np.where(np.signbit(x), 0x8000, 0)).astype(np.uint16)
    result = BF16(bits)
    error = np.abs(result.widened() - x)
    half_ulp = np.ldexp(1.0, np.frexp(np.maximum(magnitude, 1e-300))[1] - 9)  # 8 significant bits
    assert np.all(error <= half_ulp), "bf16 rounding is off by more than half an ulp"
    return result


def dtype_name(tensor):
    return "BF16" if isinstance(tensor, BF16) else NUMPY_NAMES[tensor.dtype]


def raw_bytes(tensor):
    if isinstance(tensor, BF16):
        return tensor.bits.tobytes()
    return np.ascontiguousarray(tensor).astype(tensor.dtype.newbyteorder("<")).tobytes()


def write_safetensors(path, tensors, metadata=ST_METADATA):
    """Writes {name: numpy array or BF16} as the reference writer would (see the module doc)."""
    order = sorted(tensors, key=lambda n: (-DTYPE_ORDER.index(dtype_name(tensors[n])), n))
    header, chunks, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name in order:
        data = raw_bytes(tensors[name])
        header[name] = {"dtype": dtype_name(tensors[name]), "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def read_safetensors(path):
    """Independent reader: {name: (dtype name, shape, raw bytes)} and the metadata."""
    with open(path, "rb") as f:
        blob = f.read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    metadata = header.pop("__metadata__", None)
    data = blob[8 + length:]
    end = max((v["data_offsets"][1] for v in header.values()), default=0)
    assert end == len(data), f"{path}: data buffer {len(data)} bytes, offsets end at {end}"
    return {k: (v["dtype"], v["shape"], data[v["data_offsets"][0]:v["data_offsets"][1]])
            for k, v in header.items()}, metadata


def as_float64(dtype, shape, data):
    """Exact float64 values of a stored floating-point tensor."""
    if dtype == "BF16":
        return BF16(np.frombuffer(data, "<u2").reshape(shape)).widened()
    numpy_dtype = {"F64": "<f8", "F32": "<f4", "F16": "<f2"}[dtype]
    return np.frombuffer(data, numpy_dtype).reshape(shape).astype(np.float64)


def write_sharded(folder, tensors, order, shard_count, metadata=ST_METADATA):
    """Splits `order` into `shard_count` contiguous runs of about equal bytes (as transformers'
    max_shard_size does) and writes model-0000N-of-0000M.safetensors + model.safetensors.index.json."""
    total = sum(tensors[n].nbytes for n in order)
    target = total / shard_count
    shards, current, size = [], [], 0
    for name in order:
        if current and size + tensors[name].nbytes > target * 1.0001 and len(shards) < shard_count - 1:
            shards.append(current)
            current, size = [], 0
        current.append(name)
        size += tensors[name].nbytes
    shards.append(current)
    assert len(shards) == shard_count, f"could not split into {shard_count} shards"
    weight_map = {}
    for index, names in enumerate(shards, start=1):
        file_name = f"model-{index:05d}-of-{shard_count:05d}.safetensors"
        write_safetensors(os.path.join(folder, file_name), {n: tensors[n] for n in names}, metadata)
        weight_map.update({n: file_name for n in names})
    parameters = sum(int(np.prod(tensors[n].shape)) for n in order)
    # transformers ≥ 5 also writes total_parameters; readers must ignore metadata keys they do not know.
    index = {"metadata": {"total_parameters": parameters, "total_size": total}, "weight_map": weight_map}
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2, sort_keys=True)
        f.write("\n")
    return [f"model-{i:05d}-of-{shard_count:05d}.safetensors" for i in range(1, shard_count + 1)]


def self_test(scratch):
    """The writer must match the reference writer byte for byte on a mixed-dtype file."""
    rng = np.random.default_rng(7)
    tensors = {"z.f32": rng.normal(size=(3, 5)).astype(np.float32), "a.f16": rng.normal(size=7).astype(np.float16),
               "m.i64": np.arange(5, dtype=np.int64), "b.f64": rng.normal(size=(2, 2)),
               "c.f32": np.array(1.5, dtype=np.float32), "u8": np.arange(3, dtype=np.uint8)}
    mine, reference = os.path.join(scratch, "mine.safetensors"), os.path.join(scratch, "reference.safetensors")
    write_safetensors(mine, tensors)
    save_file(tensors, reference, metadata=ST_METADATA)
    with open(mine, "rb") as a, open(reference, "rb") as b:
        assert a.read() == b.read(), "write_safetensors differs from safetensors.numpy.save_file"
    os.remove(mine)
    os.remove(reference)
    # bfloat16 rounding: ties to even, a value just above a tie (not representable in float32) rounds up.
    one = 1.0
    ulp = 2.0 ** -7
    cases = np.array([one, one + ulp / 2, one + 3 * ulp / 2, one + ulp / 2 + 2.0 ** -30, -one - ulp / 2, 0.0])
    got = bf16_from(cases).widened()
    want = [one, one, one + 2 * ulp, one + ulp, -one, 0.0]
    for g, w in zip(got, want):
        assert g == w, f"bf16 rounding: got {g}, want {w}"
