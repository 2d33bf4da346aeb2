"""Format v2 HDF5 cases (spec/format.md §4, §6): a crafted v2 checkpoint of named tensors (float32,
float16, bfloat16, int64, a scalar) and a LoRA/DoRA adapter on it, written by the independent h5py
writer (Fixtures/v2/write_v2.py), then mutated structurally (root/tensor/target attributes missing,
of the wrong type or huge, dtype lying about the HDF5 type, shapes of 2^62, escaped names colliding
after unescaping, /files entries huge or not uint8, sha256 wrong/short, order duplicates, unknown
methods, factors wrong) or byte-level (flips, truncation, size-field blasts), and run through every
command that reads it: inspect (+ --verify, --base), merge, unmerge, diff, extract, export."""
import os
import sys

import numpy as np

import gen_hdf5
from corpus import FIXTURES, h5_bytes

sys.path.insert(0, os.path.join(FIXTURES, "v2"))
import write_v2  # noqa: E402  (the spec's h5py writer)

import h5py  # noqa: E402

HUGE = [2**31, 2**32, 2**62, 2**63 - 1, -1, -(2**62)]
ADAPTED = ["model.layers.0.self_attn.q_proj.weight", "model.layers.0.mlp.down_proj.weight"]


def base_tensors(npr, dtype):
    """Named tensors of a tiny transformer-ish model, weights in `dtype`."""
    def w(*shape):
        values = npr.uniform(-1, 1, shape).astype(np.float32)
        return write_v2.bfloat16_bits(values) if dtype == "bfloat16" else values.astype(write_v2.DTYPES[dtype][0])
    return [("model.embed_tokens.weight", dtype, w(8, 4)),
            (ADAPTED[0], dtype, w(4, 4)),
            ("model.layers.0.self_attn.q_proj.bias", dtype, w(4)),
            (ADAPTED[1], dtype, w(4, 6)),
            ("model.layers.0.input_layernorm.weight", "float32", npr.uniform(0.5, 1, 4).astype(np.float32)),
            ("model.rotary.inv_freq/step%", "float64", npr.uniform(0, 1, 2)),
            ("buffers.position_ids", "int64", np.arange(5, dtype=np.int64)),
            (".hidden_scalar", "float32", np.array(3.0, dtype=np.float32))]


def seed_pair(rng):
    """(checkpoint bytes, adapter bytes, tensors, method): valid v2 files made for each other."""
    npr = np.random.default_rng(rng.getrandbits(32))
    dtype = rng.choice(["float32", "float16", "bfloat16", "float64"])
    tensors = base_tensors(npr, dtype)
    files = {"config.json": b'{"model_type": "llama"}', "tokenizer.json": b"{}"}
    digests = {}
    ckpt = h5_bytes(lambda p: digests.update(write_v2.write_checkpoint(p, tensors, architecture="llama", files=files)))
    fingerprint = write_v2.model_fingerprint(digests)
    method = rng.choice(["lora", "dora"])
    targets = []
    for name in ADAPTED[:rng.choice([1, 2])]:
        out, inputs = dict((n, a.shape) for n, _, a in tensors)[name]
        rank = rng.choice([1, 2])
        fdtype = rng.choice(["float32", dtype])
        factors = {"A": npr.uniform(-1, 1, (rank, inputs)), "B": npr.uniform(-1, 1, (out, rank))}
        if method == "dora":
            factors["magnitude"] = npr.uniform(0.5, 2, out)
        factors = {role: (fdtype, write_v2.bfloat16_bits(v) if fdtype == "bfloat16" else v.astype(write_v2.DTYPES[fdtype][0]))
                   for role, v in factors.items()}
        targets.append({"tensor": name, "rank": rank, "scaling": rng.choice([0.5, 2.0]), "layout": "out_in",
                        "factors": factors})
    adapter = h5_bytes(lambda p: write_v2.write_adapter(p, method, targets, base_fingerprint=fingerprint))
    return ckpt, adapter, tensors, method


def edit(data, change):
    """Applies `change(h5py.File)` to a copy of `data`; returns the new bytes (None when h5py refuses)."""
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "x.h5")
        with open(path, "wb") as f:
            f.write(data)
        try:
            with h5py.File(path, "a") as f:
                change(f)
        except (ValueError, OSError, TypeError, RuntimeError, KeyError, OverflowError):
            return None
        with open(path, "rb") as f:
            return f.read()


def wrong_value(rng):
    return rng.choice([np.int64(2**62), np.float64("nan"), "x", "", np.array([1, 2]), np.int32(-1), b"\xff\xfe",
                       "\x1b[2J", "a" * 70000, np.float64(2.0), np.array(["a", "b"], dtype=h5py.string_dtype())])


def set_attr(obj, key, value):
    if value is None:
        if key in obj.attrs:
            del obj.attrs[key]
    else:
        obj.attrs[key] = value


def checkpoint_mutation(rng, tensors):
    """(description, change(f)) for a checkpoint."""
    link = write_v2.escape(rng.choice(tensors)[0])
    choice = rng.choice(["root", "root", "tensor_attr", "tensor_attr", "dtype_lie", "huge_shape", "collide", "files",
                         "order_dup", "link_kind", "not_dataset", "empty"])
    if choice == "root":
        key = rng.choice(["format", "format_version", "architecture", "fingerprint", "provenance", "safetensors_metadata",
                          "class_names", "layer_names", "activation"])
        value = rng.choice([None, wrong_value(rng), np.int64(3), "0" * 64, "F" * 64, "{" * 5000])
        return "root %s = %.40r" % (key, value), lambda f: set_attr(f, key, value)
    if choice == "tensor_attr":
        key = rng.choice(["name", "dtype", "sha256", "order", "shard"])
        value = rng.choice([None, wrong_value(rng), "../../evil.safetensors", "0" * 63, "g" * 64, np.int64(2**62)])
        return "tensor %s %s = %.40r" % (link, key, value), lambda f: set_attr(f["tensors"][link], key, value)
    if choice == "dtype_lie":
        value = rng.choice(["bfloat16", "uint16", "float16", "float32", "float64", "int32", "bool", "float8_e4m3",
                            "complex64", "BF16", "F32", "uint64"])
        return "tensor %s dtype lies: %s" % (link, value), lambda f: set_attr(f["tensors"][link], "dtype", value)
    if choice == "huge_shape":
        shape = rng.choice([(2**62,), (2**31 - 1, 2**31 - 1), (2**31,), (2**20, 2**20, 2**20), (0, 2**40), (1,) * 33])
        dtype = rng.choice(["<f4", "<u2", "<f8"])

        def change(f):
            old = f["tensors"][link]
            attrs = dict(old.attrs)
            del f["tensors"][link]
            ds = f["tensors"].create_dataset(link, shape=shape, dtype=dtype, chunks=rng.random() < 0.5 or None)
            for k, v in attrs.items():
                ds.attrs[k] = v
        return "tensor %s shape %s" % (link, shape), change
    if choice == "collide":
        name = rng.choice(tensors)[0]
        other = rng.choice([link.replace("%2F", "%2f"), "%" + "%02X" % ord(link[0]) + link[1:], link + "%", link + "%zz",
                            link.replace(".", "%2E", 1)])

        def change(f):
            f["tensors"].copy(f["tensors"][link], other)
            f["tensors"][other].attrs["name"] = name
            f["tensors"][other].attrs["order"] = np.int64(99)
        return "link %r also named %r" % (other, name), change
    if choice == "files":
        what = rng.choice(["float", "huge", "2d", "noname", "traversal", "dup", "abs"])

        def change(f):
            g = f.require_group("files")
            if what == "float":
                g.create_dataset("f", data=np.zeros(4, "<f4")).attrs["name"] = "f.json"
            elif what == "huge":
                g.create_dataset("h", shape=(2**40,), dtype="u1", chunks=True).attrs["name"] = "h.json"
            elif what == "2d":
                g.create_dataset("d", data=np.zeros((2, 2), "u1")).attrs["name"] = "d.json"
            elif what == "noname":
                g.create_dataset("n", data=np.zeros(2, "u1"))
            elif what == "traversal":
                g.create_dataset("t", data=np.frombuffer(b"pwn", "u1")).attrs["name"] = "../../pwned.json"
            elif what == "abs":
                g.create_dataset("a", data=np.frombuffer(b"pwn", "u1")).attrs["name"] = "/tmp/adaptool-pwned"
            else:
                g.create_dataset("config2", data=np.frombuffer(b"{}", "u1")).attrs["name"] = "config.json"
        return "/files %s" % what, change
    if choice == "order_dup":
        value = rng.choice([0, 1, 2**62, -5])
        return "every order = %d" % value, lambda f: [set_attr(f["tensors"][k], "order", np.int64(value)) for k in f["tensors"]]
    if choice == "link_kind":
        kind = rng.choice(["soft", "external", "hard_twice"])

        def change(f):
            if kind == "soft":
                f["tensors"]["soft"] = h5py.SoftLink("/tensors/" + link)
            elif kind == "external":
                f["tensors"]["ext"] = h5py.ExternalLink("other.h5", "/x")
            else:
                f["tensors"]["twice"] = f["tensors"][link]
        return "/tensors %s link" % kind, change
    if choice == "not_dataset":
        return "/tensors/%s is a group" % link, lambda f: (f["tensors"].__delitem__(link), f["tensors"].create_group(link))
    return "/tensors emptied", lambda f: [f["tensors"].__delitem__(k) for k in list(f["tensors"])]


def adapter_mutation(rng, tensors, method):
    """(description, change(f)) for an adapter."""
    target = write_v2.escape(ADAPTED[0])
    choice = rng.choice(["root", "target_attr", "target_attr", "roles", "factor_shape", "factor_dtype", "nan", "retarget",
                         "order_dup", "collide"])
    if choice == "root":
        key = rng.choice(["method", "format_version", "base_fingerprint", "format"])
        value = rng.choice([None, wrong_value(rng), "loha", "LORA", "dora" if method == "lora" else "lora", "0" * 64])
        return "root %s = %.40r" % (key, value), lambda f: set_attr(f, key, value)
    if choice == "target_attr":
        key = rng.choice(["tensor", "rank", "scaling", "layout", "order"])
        value = rng.choice([None, wrong_value(rng), np.int64(0), np.int64(2**62), np.float64("inf"), "in_out", "rows",
                            "OUT_IN", np.int64(2**20 + 1), np.float64(1e308)])
        return "target %s = %.40r" % (key, value), lambda f: set_attr(f["targets"][target], key, value)
    if choice == "roles":
        what = rng.choice(["drop A", "drop B", "drop magnitude", "add magnitude", "add C", "rename A"])

        def change(f):
            g = f["targets"][target]
            if what.startswith("drop"):
                del g[what.split()[1]]
            elif what == "add magnitude":
                write_v2.write_tensor(g, "magnitude", "float32", np.ones(g["B"].shape[0], np.float32), {})
            elif what == "add C":
                write_v2.write_tensor(g, "C", "float32", np.ones(2, np.float32), {})
            else:
                g.move("A", "a")
        return "target %s" % what, change
    if choice == "factor_shape":
        role = rng.choice(["A", "B"])
        shape = rng.choice([(2**62,), (1,), (4, 4), (2**31 - 1, 2**31 - 1), (0, 4), (1, 1, 1)])

        def change(f):
            g = f["targets"][target]
            attrs = dict(g[role].attrs)
            del g[role]
            ds = g.create_dataset(role, shape=shape, dtype="<f4", chunks=rng.random() < 0.5 or None)
            for k, v in attrs.items():
                ds.attrs[k] = v
        return "factor %s shape %s" % (role, shape), change
    if choice == "factor_dtype":
        role, value = rng.choice(["A", "B"]), rng.choice(["int32", "uint16", "bfloat16", "float16", "int64", "bool"])
        return "factor dtype %s" % value, lambda f: set_attr(f["targets"][target][rng.choice(["A", "B"])], "dtype", value)
    if choice == "nan":
        role = rng.choice(["A", "B", "magnitude"]) if method == "dora" else rng.choice(["A", "B"])

        def change(f):
            ds = f["targets"][target][role]
            values = ds[()]
            values.reshape(-1)[0] = np.array(0x7FC0 if ds.attrs["dtype"] == "bfloat16" else np.nan).astype(values.dtype)
            ds[...] = values
            ds.attrs["sha256"] = write_v2.tensor_digest(role, ds.attrs["dtype"], list(values.shape), values.tobytes())
        return "factor %s NaN" % role, change
    if choice == "retarget":
        name = rng.choice(["model.layers.0.self_attn.q_proj.bias", "buffers.position_ids", "nope.weight",
                           "model.embed_tokens.weight", ".hidden_scalar", ADAPTED[1]])

        def change(f):
            if name in [write_v2.unescape(k) for k in f["targets"]]:
                f["targets"][target].attrs["tensor"] = name
            else:
                f["targets"].move(target, write_v2.escape(name))
                f["targets"][write_v2.escape(name)].attrs["tensor"] = name
        return "target moved to %s" % name, change
    if choice == "order_dup":
        return "target orders equal", lambda f: [set_attr(f["targets"][k], "order", np.int64(0)) for k in f["targets"]]
    other = rng.choice([target.replace(".", "%2E", 1), target + "%"])

    def collide(f):
        f["targets"].copy(f["targets"][target], other)
        f["targets"][other].attrs["order"] = np.int64(77)
    return "target link %r collides" % other, collide


CHECKPOINT_COMMANDS = [
    ("v2 inspect", ["inspect", "in.h5"], [], None), ("v2 inspect --json", ["inspect", "--json", "in.h5"], [], None),
    ("v2 inspect --verify", ["inspect", "--verify", "in.h5"], [], None),
    ("v2 merge", ["merge", "in.h5", "adapter.h5", "-o", "out.h5"], ["out.h5"], "h5"),
    ("v2 unmerge", ["unmerge", "in.h5", "lora.h5", "-o", "out.h5"], ["out.h5"], "h5"),
    ("v2 diff", ["diff", "ref.h5", "in.h5"], [], None),
    ("v2 extract", ["extract", "ref.h5", "in.h5", "--rank", "1", "-o", "out.h5"], ["out.h5"], "h5"),
    ("v2 export dir", ["export", "in.h5", "-o", "out-model"], ["out-model"], "model"),
    ("v2 export file", ["export", "in.h5", "-o", "out.safetensors"], ["out.safetensors"], "st")]
ADAPTER_COMMANDS = [
    ("v2 inspect", ["inspect", "in.h5"], [], None),
    ("v2 inspect --base", ["inspect", "--verify", "in.h5", "--base", "ref.h5"], [], None),
    ("v2 merge", ["merge", "ref.h5", "in.h5", "-o", "out.h5"], ["out.h5"], "h5"),
    ("v2 unmerge", ["unmerge", "ref.h5", "in.h5", "-o", "out.h5"], ["out.h5"], "h5"),
    ("v2 diff", ["diff", "adapter.h5", "in.h5"], [], None),
    ("v2 export", ["export", "in.h5", "-o", "out-peft"], ["out-peft"], "peft")]


def generate(rng, corpus):
    """One v2 HDF5 case."""
    ckpt, adapter, tensors, method = seed_pair(rng)
    lora = adapter if method == "lora" else seed_pair_lora(rng, ckpt, adapter)
    role = rng.choice(["checkpoint", "checkpoint", "adapter"])
    seed = ckpt if role == "checkpoint" else adapter
    roll, data, mutation = rng.random(), None, None
    if roll < 0.08:
        data, mutation = seed, "valid"
    elif roll < 0.72:
        what, change = (checkpoint_mutation(rng, tensors) if role == "checkpoint" else adapter_mutation(rng, tensors, method))
        data, mutation = edit(seed, change), what
    if data is None:
        data, mutation = rng.choice([gen_hdf5.flip, gen_hdf5.truncate, gen_hdf5.blast])(rng, seed)
    label, args, outputs, verify = rng.choice(CHECKPOINT_COMMANDS if role == "checkpoint" else ADAPTER_COMMANDS)
    expect = "ok" if mutation == "valid" and label not in ("v2 unmerge", "v2 extract") else "any"
    if mutation.startswith("target moved to") and label in ("v2 inspect --base", "v2 merge"):
        expect = "refuse"  # every other tensor of the seed is not a 2-D weight of q_proj's shape
    return {"kind": "v2h5", "label": label, "mutation": "%s %s: %s" % (role, method, mutation), "args": args,
            "files": {"in.h5": data, "ref.h5": ckpt, "adapter.h5": adapter, "lora.h5": lora},
            "outputs": outputs, "verify": verify, "expect": expect, "ok_codes": [0, 1] if "diff" in label else [0],
            "checks": {"no_control_in_stdout": True}}  # names and config values come from the files


def seed_pair_lora(rng, ckpt, adapter):
    """A LoRA copy of a DoRA adapter (unmerge takes LoRA only)."""
    def change(f):
        f.attrs["method"] = "lora"
        for key in f["targets"]:
            if "magnitude" in f["targets"][key]:
                del f["targets"][key]["magnitude"]
    return edit(adapter, change) or adapter
