"""HDF5 cases: byte flips, truncations, size-field blasts and crafted (well-formed but hostile) files,
run through inspect / inspect --json / --verify / merge / unmerge / diff / extract / export / eval."""
import numpy as np

from corpus import fixture_writer, h5_bytes

#: Values written over size fields: around 2^31 and 2^32 (32-bit overflow), 2^62 and 2^64 − 1.
BLAST_VALUES = [2**31 - 1, 2**31, 2**32, 2**32 + 1, 2**62, 2**63 - 1, 2**64 - 1]
#: Integers that look like sizes, dimensions or offsets inside a small file.
PLAUSIBLE = range(1, 1 << 20)
_candidates = {}


def size_fields(data):
    """Offsets of 4- and 8-byte little-endian integers that look like sizes (cached per seed)."""
    key = hash(data)
    if key not in _candidates:
        found = []
        for width in (8, 4):
            for pos in range(0, len(data) - width):
                if int.from_bytes(data[pos:pos + width], "little") in PLAUSIBLE and data[pos] != 0:
                    found.append((pos, width))
        _candidates[key] = found
    return _candidates[key]


def flip(rng, data):
    out = bytearray(data)
    count = rng.choice([1, 1, 2, 4, 8, 32])
    for _ in range(count):
        pos = rng.randrange(len(out))
        out[pos] = out[pos] ^ (1 << rng.randrange(8)) if rng.random() < 0.5 else rng.randrange(256)
    return bytes(out), "flip x%d" % count


def truncate(rng, data):
    size = rng.choice([rng.randrange(len(data)), len(data) - rng.randrange(1, 64), rng.randrange(2048)])
    return data[:max(0, size)], "truncate to %d" % max(0, size)


def blast(rng, data):
    out = bytearray(data)
    fields = size_fields(data)
    if not fields:
        return flip(rng, data)
    count = rng.choice([1, 1, 2, 3])
    for _ in range(count):
        pos, width = rng.choice(fields)
        value = rng.choice(BLAST_VALUES) & ((1 << (8 * width)) - 1)
        out[pos:pos + width] = value.to_bytes(width, "little")
    return bytes(out), "size-field blast x%d" % count


def base_layers():
    return fixture_writer.base_layers()


def craft_checkpoint(rng):
    """A well-formed HDF5 checkpoint with one hostile property; returns (bytes, mutation, expectations)."""
    layers = base_layers()
    choice = rng.choice(["inf_bias", "s3_attrs", "input_shape", "normalization", "class_names", "escape_codes",
                         "huge_unwritten", "long_name", "many_layers", "libver_latest_chunked", "big_attribute",
                         "attribute_types"])
    expect, attrs, drop, options, libver = {}, {}, (), None, "earliest"
    if choice == "inf_bias":
        layers[rng.randrange(2)][2][0] = rng.choice([np.inf, -np.inf])
        expect = {"merge": "refuse", "unmerge": "refuse", "inspect --verify": "refuse"}
    elif choice == "s3_attrs":
        attrs = {"class_names": np.array([b"cat", b"dog", b"shp"], dtype="S3"), "activation": np.bytes_(b"relu"),
                 "architecture": np.bytes_(b"mlp")}
        expect = {"inspect": "ok", "inspect --json": "ok", "inspect --verify": "ok", "merge": "ok"}
    elif choice == "input_shape":
        attrs = {"input_shape": rng.choice([[2**62, 2**62], [-3, 2, 2], [0, 12], [12] * 40, [2**31, 2**31, 2**31]])}
    elif choice == "normalization":
        options_ = [{"normalization_std": [0.0, 0.0, 0.0]}, {"normalization_mean": [np.nan] * 3},
                    {"normalization_std": [-1.0] * 3}, {"normalization_mean": [0.5] * 5000}]
        attrs = rng.choice(options_)
        if rng.random() < 0.3:
            drop = ("normalization_std",)
    elif choice == "class_names":
        attrs = {"class_names": rng.choice([["x"] * 5000, [], ["a" * 100000] * 3, ["é", "\udcff".encode("utf-8", "surrogatepass").decode("latin-1"), "z"]])}
    elif choice == "escape_codes":
        attrs = {rng.choice(["provenance", "created_by", "class_names"]): rng.choice(
            ["\x1b[31mred\x1b[0m", "\x1b]0;title\x07", "a\rb\x08c", "\x9b31m"])}
        if "class_names" in attrs:
            attrs["class_names"] = [attrs["class_names"], "dog", "ship"]
        expect = {"inspect": "no_control"}
    elif choice == "huge_unwritten":
        return h5_bytes(lambda p: huge_unwritten(p, rng.choice([32768, 46341]))), "crafted huge_unwritten", expect
    elif choice == "long_name":
        name = rng.choice(["n", "\x1b[2J", "é"]) * rng.randrange(200, 3000)
        layers = [(name, layers[0][1], layers[0][2]), layers[1]]
        expect = {"inspect": "no_control"}
    elif choice == "many_layers":
        count = rng.randrange(50, 400)
        layers = [("l%d" % i, np.ones((1, 1)), np.zeros(1)) for i in range(count)]
        attrs = {"input_shape": [1, 1, 1], "normalization_mean": [0.5], "normalization_std": [0.5], "class_names": ["a"]}
    elif choice == "libver_latest_chunked":
        options, libver = {"chunks": True, "compression": rng.choice([None, "gzip"])}, "latest"
    elif choice == "big_attribute":
        libver = "latest"  # dense attribute storage: the only way HDF5 stores an attribute over 64 KiB
        attrs = {rng.choice(["unknown_attribute", "provenance", "class_names"]): "x" * (rng.randrange(1, 5) << 20)}
    elif choice == "attribute_types":
        attrs = {rng.choice(["format_version", "layer_names", "input_shape", "fingerprint", "activation"]):
                 rng.choice([np.float64(1.5), np.int64(-1), np.array([1, 1]), "1", np.array([[1, 2], [3, 4]]),
                             np.uint64(2**64 - 1)])}
    def write(path, libver):
        fixture_writer.write_checkpoint(path, layers, attrs=attrs, drop=drop, dataset_options=options, libver=libver)
    try:
        data = h5_bytes(lambda p: write(p, libver))
    except OSError:  # an attribute over 64 KiB needs dense attribute storage (libver "latest")
        data = h5_bytes(lambda p: write(p, "latest"))
    return data, "crafted " + choice, expect


def huge_unwritten(path, side):
    """A consistent checkpoint of side × side float32 layers that were never written (a few KiB on
    disk, gigabytes when read): every allocation must be checked against the file's real size."""
    import h5py
    with h5py.File(path, "w") as f:
        for key, value in {"format": "adaptool.checkpoint", "format_version": 1, "architecture": "mlp",
                           "activation": "relu", "layer_names": ["fc1", "fc2"], "fingerprint": "0" * 64,
                           "input_shape": [1, 1, side], "normalization_mean": [0.5], "normalization_std": [0.5],
                           "class_names": ["a", "b", "c"]}.items():
            f.attrs[key] = value
        for name, shape in (("fc1", (side, side)), ("fc2", (3, side))):
            group = f.create_group("layers/" + name)
            group.create_dataset("weight", shape=shape, dtype="<f4")
            group.create_dataset("bias", shape=shape[:1], dtype="<f4")


def craft_adapter(rng, base_fp):
    """A well-formed adapter with one hostile attribute or shape."""
    layers = fixture_writer.adapter_layers(base_layers(), "lora", 2, None, seed=5)
    choice = rng.choice(["rank", "scaling", "targets", "escape", "huge_unwritten"])
    attrs, layer_attrs = {}, None
    if choice == "rank":
        layer_attrs = {"fc1": {"rank": rng.choice([2**31, 2**62, -1, 0])}}
    elif choice == "scaling":
        attrs = {"scaling": rng.choice([np.inf, -np.inf, 1e308, -0.0, np.nan])}
    elif choice == "targets":
        attrs = {"target_layers": rng.choice([["fc1"] * 3, ["nope"], [], ["fc1", "fc2"] * 2000])}
    elif choice == "escape":
        attrs = {"created_by": "\x1b[31mred\x1b[0m"}
    else:
        def huge(path):
            fixture_writer.write_adapter(path, base_fp, layers, "lora", 2, 4.0, 2.0)
            import h5py
            with h5py.File(path, "a") as f:
                del f["layers/fc1/lora_A"]
                f["layers/fc1"].create_dataset("lora_A", shape=(2, rng.choice([2**28, 2**31])), dtype="<f4")
        return h5_bytes(huge), "crafted adapter " + choice
    data = h5_bytes(lambda p: fixture_writer.write_adapter(p, base_fp, layers, "lora", 2, 4.0, 2.0,
                                                           attrs=attrs, layer_attrs=layer_attrs))
    return data, "crafted adapter " + choice


def commands(role):
    """(label, args, outputs, verify, ok_codes) for a mutated file `in.h5` of `role`."""
    inspect = [("inspect", ["inspect", "in.h5"], [], None), ("inspect --json", ["inspect", "--json", "in.h5"], [], None),
               ("inspect --verify", ["inspect", "--verify", "in.h5"], [], None)]
    if role == "checkpoint":
        return inspect + [
            ("merge", ["merge", "in.h5", "adapter.h5", "-o", "out.h5"], ["out.h5"], "h5"),
            ("merge --compress", ["merge", "in.h5", "adapter.h5", "-o", "out.h5", "--compress"], ["out.h5"], "h5"),
            ("unmerge", ["unmerge", "in.h5", "adapter.h5", "-o", "out.h5"], ["out.h5"], "h5"),
            ("diff", ["diff", "ref.h5", "in.h5", "--json"], [], None),
            ("extract", ["extract", "ref.h5", "in.h5", "--rank", "1", "-o", "out.h5"], ["out.h5"], "h5"),
            ("export", ["export", "in.h5", "-o", "out.safetensors"], ["out.safetensors"], "st")]
    if role == "adapter":
        return inspect + [
            ("inspect --base", ["inspect", "in.h5", "--verify", "--base", "ref.h5"], [], None),
            ("merge", ["merge", "ref.h5", "in.h5", "-o", "out.h5"], ["out.h5"], "h5"),
            ("unmerge", ["unmerge", "ref.h5", "in.h5", "-o", "out.h5"], ["out.h5"], "h5"),
            ("diff", ["diff", "adapter.h5", "in.h5"], [], None),
            ("export", ["export", "in.h5", "-o", "out-peft"], ["out-peft"], "peft")]
    if role == "cifar-checkpoint":
        return [("eval", ["eval", "in.h5", "--data", "cifar", "--json"], [], None),
                ("eval --adapter", ["eval", "in.h5", "--adapter", "cifar_adapter.h5", "--data", "cifar"], [], None)]
    if role == "cifar-adapter":
        return [("eval --adapter", ["eval", "cifar.h5", "--adapter", "in.h5", "--data", "cifar", "--compare-merged"], [], None)]
    return [("eval", ["eval", "cifar.h5", "--data", "cifar"], [], None),
            ("train --metrics", ["train", "base", "--data", "cifar", "--hidden", "4", "--epochs", "1", "--batch-size", "8",
                                 "--quiet", "--metrics", "metrics.csv", "-o", "out.h5"], ["out.h5", "metrics.csv"], "h5")]


def generate(rng, corpus):
    """One HDF5 case."""
    files = {"ref.h5": corpus.checkpoint, "adapter.h5": corpus.lora}
    expect_by_label = {}
    roll = rng.random()
    if roll < 0.12:
        data, mutation, expect_by_label = craft_checkpoint(rng)
        role = "checkpoint"
    elif roll < 0.17:
        data, mutation = craft_adapter(rng, fixture_writer_fp(corpus))
        role = "adapter"
    elif roll < 0.27:
        role = rng.choice(["cifar-checkpoint", "cifar-adapter", "cifar-data"])
        seed = {"cifar-checkpoint": corpus.cifar_checkpoint, "cifar-adapter": corpus.cifar_adapter}.get(role)
        if seed is None:
            name = rng.choice(["data_batch_1.bin", "test_batch.bin"])
            seed = corpus.cifar[name]
        data, mutation = rng.choice([flip, truncate, blast if seed[:4] == b"\x89HDF" else flip])(rng, seed)
        if role == "cifar-data":
            files.update({"cifar/" + k: v for k, v in corpus.cifar.items()})
            files["cifar/" + name] = data
            data = None
    else:
        name = rng.choice(list(corpus.fixtures))
        seed, kind, valid = corpus.fixtures[name]
        role = "adapter" if kind == "adapter" else "checkpoint"
        data, mutation = rng.choice([flip, flip, truncate, blast])(rng, seed)
        mutation = "%s: %s" % (name, mutation)
    if role.startswith("cifar"):
        files.update({"cifar/" + k: v for k, v in corpus.cifar.items() if "cifar/" + k not in files})
        files["cifar.h5"], files["cifar_adapter.h5"] = corpus.cifar_checkpoint, corpus.cifar_adapter
    if data is not None:
        files["in.h5"] = data
    label, args, outputs, verify = rng.choice(commands(role))
    expectation = expect_by_label.get(label, "any")
    checks = {"no_control_in_stdout": True} if expectation == "no_control" else {}
    return {"kind": "hdf5", "label": label, "mutation": mutation, "args": args, "files": files, "outputs": outputs,
            "verify": verify, "expect": expectation if expectation in ("ok", "refuse") else "any",
            "ok_codes": [0, 1] if label == "diff" else [0], "checks": checks}


def fixture_writer_fp(corpus):
    from corpus import fingerprint
    return fingerprint(fixture_writer.as_f32(base_layers()))
