"""safetensors cases: valid small state dicts written by hand (8-byte LE header length, JSON header,
data), then a hostile header (dtype, shape, offsets, duplicates, __metadata__, encoding, nesting,
length) or hostile data, run through `import`."""
import json
import struct

import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2"}
HUGE = [2**31, 2**32, 2**62, 2**63 - 1, 2**64 - 1, 2**64, -1, -(2**63)]


def encode(header, data, pad=True):
    """The file bytes for a header (dict or raw JSON text) and a data buffer."""
    text = header if isinstance(header, (str, bytes)) else json.dumps(header)
    raw = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    if pad:
        raw += b" " * ((8 - len(raw) % 8) % 8)
    return struct.pack("<Q", len(raw)) + raw + data


def build(tensors, metadata=None):
    """(header dict, data) for tensors [(name, numpy array)] laid out contiguously in order."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, array in tensors:
        dtype = [k for k, v in DTYPES.items() if np.dtype(v) == array.dtype][0]
        raw = array.tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    return header, data


def state_dict(rng):
    """A small valid PyTorch-MLP state dict with plausible adaptool metadata."""
    layers = rng.randrange(1, 4)
    sizes = [rng.randrange(1, 9) for _ in range(layers + 1)]
    npr = np.random.default_rng(rng.getrandbits(32))
    dtype = rng.choice(["<f4", "<f4", "<f4", "<f8", "<f2"])
    names = ["layers.%d" % (2 * i) for i in range(layers)]
    tensors = []
    for name, (fan_in, fan_out) in zip(names, zip(sizes, sizes[1:])):
        tensors.append((name + ".weight", npr.uniform(-1, 1, (fan_out, fan_in)).astype(dtype)))
        if rng.random() < 0.9:
            tensors.append((name + ".bias", npr.uniform(-1, 1, fan_out).astype(dtype)))
    metadata = None
    if rng.random() < 0.6:
        attributes = {"input_shape": [1, 1, sizes[0]], "normalization_mean": [0.5], "normalization_std": [0.25],
                      "class_names": ["c%d" % i for i in range(sizes[-1])]}
        metadata = {"format": "pt", "adaptool.layer_names": json.dumps(names),
                    "adaptool.attributes": json.dumps(attributes)}
    return tensors, metadata, names


def hostile_attributes(rng, attributes):
    """The `adaptool.attributes` metadata with one hostile value (spec/interop.md §2)."""
    key = rng.choice(["input_shape", "class_names", "normalization_mean", "normalization_std", "mean_without_std", "extra"])
    if key == "input_shape":
        attributes[key] = rng.choice([[2**62, 2**62], [-1, 1, 4], [0], [], [1.5], "x", [2**64]])
    elif key == "class_names":
        attributes[key] = rng.choice([[], ["a"] * 100000, ["\x1b[31m"], [1, 2], "abc", [""]])
    elif key in ("normalization_mean", "normalization_std"):
        attributes[key] = rng.choice([[0.0], [-1.0], [1e309], [None], [0.5] * 1000, [], "0.5"])
    elif key == "mean_without_std":
        attributes.pop("normalization_std", None)
    else:
        attributes[rng.choice(["fingerprint", "format_version", "layer_names"])] = rng.choice([[1] * 3, "\x1b[2J", 2**62])
    return key


def mutate_header(rng, header, data, names):
    """One hostile change; returns (file bytes, description)."""
    tensors = [k for k in header if k != "__metadata__"]
    target = rng.choice(tensors)
    choice = rng.choice(["dtype", "shape", "offsets", "duplicate", "metadata", "layer_names", "non_utf8", "nesting",
                         "header_length", "not_object", "numbers", "nan_data", "truncate", "trailing", "extra_tensor"])
    info = header[target]
    if choice == "dtype":
        info["dtype"] = rng.choice(["F64", "F16", "BF16", "I64", "U8", "BOOL", "F8_E4M3", "", "f32", 5, None])
    elif choice == "shape":
        info["shape"] = rng.choice([[rng.choice(HUGE), rng.choice(HUGE)], [rng.choice(HUGE)], [-1, 4], [0, 4], [],
                                    [1] * 64, "4", [4.5, 2], [2**31, 2**31, 2**31]])
    elif choice == "offsets":
        end = info["data_offsets"][1]
        info["data_offsets"] = rng.choice([[0, rng.choice(HUGE)], [-1, end], [end, 0], [0, 0], [0, len(data) + 1],
                                           [1, end + 1], [0.0, float(end)], [0], "0-4", [0, end, 8]])
    elif choice == "duplicate":
        text = json.dumps(header)
        entry = json.dumps({target: header[target]})[1:-1]
        return encode(text[:-1] + ", " + entry + "}", data), "duplicate key " + target
    elif choice in ("metadata", "layer_names"):
        meta = header.get("__metadata__") or {"format": "pt"}
        header["__metadata__"] = meta
        if choice == "layer_names":
            meta["adaptool.layer_names"] = json.dumps(rng.choice([names[::-1] + names, ["nope"], [], names + ["x"],
                                                                  "not a list", [1, 2]])) if rng.random() < 0.9 else "[[["
        elif rng.random() < 0.2:
            header["__metadata__"] = rng.choice([[], "x", {"a": 1}, {"a": None}, {"a": {"b": "c"}}])
            return encode(header, data), "__metadata__ not an object of strings"
        else:
            attributes = json.loads(meta.get("adaptool.attributes", "{}"))
            what = hostile_attributes(rng, attributes)
            meta["adaptool.attributes"] = json.dumps(attributes)
            return encode(header, data), "hostile __metadata__ " + what
    elif choice == "non_utf8":
        text = json.dumps(header).encode()
        pos = text.index(target.encode()) + 1
        return encode(text[:pos] + rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"]) + text[pos:], data), "non-UTF-8 name"
    elif choice == "nesting":
        depth = rng.choice([1000, 100000, 1000000])
        nested = "[" * depth + "]" * depth if rng.random() < 0.5 else '{"a":' * depth + "1" + "}" * depth
        text = json.dumps(header)[:-1] + ', "deep": ' + nested + "}"
        return encode(text, data), "nesting depth %d" % depth
    elif choice == "header_length":
        body = encode(header, data)
        length = rng.choice([2**62, 2**64 - 1, 2**31, len(body), 0, 7, 100 * 1024 * 1024 + 1])
        return struct.pack("<Q", length) + body[8:], "header length %d" % length
    elif choice == "not_object":
        return encode(rng.choice(["[]", "null", "1e999", '"x"', "", "{", "{}"]), data), "header not an object"
    elif choice == "numbers":
        text = json.dumps(header).replace(json.dumps(info["shape"]), rng.choice(
            ["[1e400, 2]", "[123456789012345678901234567890, 1]", "[-0, 1]", "[1E2, 1]", "[0x10, 1]"]), 1)
        return encode(text, data), "number literal in shape"
    elif choice == "nan_data":
        array = bytearray(data)
        pos = info["data_offsets"][0]
        array[pos:pos + 4] = struct.pack("<f", rng.choice([float("nan"), float("inf")]))
        return encode(header, bytes(array)), "non-finite value in " + target
    elif choice == "truncate":
        body = encode(header, data)
        size = rng.randrange(len(body))
        return body[:size], "file truncated to %d" % size
    elif choice == "trailing":
        return encode(header, data + b"\0" * rng.randrange(1, 64)), "trailing bytes"
    else:
        header[rng.choice(["running_mean", "layers.0.weight.extra", "layers.0.lora_A.weight", "num_batches_tracked"])] = \
            {"dtype": "F32", "shape": [1], "data_offsets": [len(data), len(data) + 4]}
        return encode(header, data + b"\0\0\0\0"), "extra tensor"
    return encode(header, data), "%s of %s" % (choice, target)


def generate(rng, corpus):
    """One safetensors import case."""
    tensors, metadata, names = state_dict(rng)
    header, data = build(tensors, metadata)
    if rng.random() < 0.08:
        raw, mutation = encode(header, data), "valid"
    else:
        raw, mutation = mutate_header(rng, header, data, names)
    args = ["import", "in.safetensors", "-o", "out.h5"] + (["--compress"] if rng.random() < 0.2 else [])
    return {"kind": "safetensors", "label": "import", "mutation": mutation, "args": args,
            "files": {"in.safetensors": raw}, "outputs": ["out.h5"], "verify": "h5"}
