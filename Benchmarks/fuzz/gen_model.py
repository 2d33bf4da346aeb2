"""Hugging Face model folder and PEFT-on-transformers cases (Fixtures/transformers: tiny Llama in
float32 3 shards / bfloat16 2 shards, GPT-2 single file, and their PEFT LoRA/DoRA/rsLoRA/Conv1D
adapters). Kind `model` mutates the folder (model.safetensors.index.json weight_map to missing or
`../` shards, duplicates across shards, total_size lies, huge JSON; shard headers of 2^62, F8_E4M3 or
unknown dtypes, overlapping offsets; config.json broken; a shard that is a FIFO or a link out);
kind `peft2` mutates the PEFT folder (modules the base lacks, wrong ranks, pathological
rank_pattern keys, fan_in_fan_out lies, use_dora without magnitudes, bf16 factors with NaN).
Both run through import, import --base, merge (direct MODEL_DIR PEFT_DIR and via HDF5), unmerge,
diff and extract."""
import json
import os
import struct

import gen_peft
import gen_safetensors
from corpus import FIXTURES, read

TRANSFORMERS = os.path.join(FIXTURES, "transformers")
MODELS = ["llama-f32", "llama-bf16", "gpt2-f32"]
ADAPTERS = {"llama-f32": ["llama-lora-all-linear", "llama-dora", "llama-rslora-patterns"],
            "llama-bf16": ["llama-bf16-lora"], "gpt2-f32": ["gpt2-lora-conv1d", "gpt2-dora-conv1d"]}
_folders = {}


def folder(name):
    """{relative path: bytes} of a fixture folder (cached)."""
    if name not in _folders:
        root = os.path.join(TRANSFORMERS, name)
        _folders[name] = {n: read(os.path.join(root, n)) for n in sorted(os.listdir(root))}
    return dict(_folders[name])


def parse(raw):
    """(header dict, data bytes) of a safetensors file."""
    size = struct.unpack("<Q", raw[:8])[0]
    return json.loads(raw[8:8 + size]), raw[8 + size:]


def shards(files):
    return [n for n in files if n.endswith(".safetensors")]


def mutate_index(rng, files):
    """One hostile change to model.safetensors.index.json (or its absence); returns the description."""
    name = "model.safetensors.index.json"
    if name not in files:
        files[name] = json.dumps({"metadata": {"total_size": 1}, "weight_map": {
            t: "model.safetensors" for t in parse(files["model.safetensors"])[0] if t != "__metadata__"}}).encode()
    index = json.loads(files[name])
    weights = index.setdefault("weight_map", {})
    tensor = rng.choice(sorted(weights)) if weights else "x"
    choice = rng.choice(["missing shard", "traversal", "absolute", "subdir", "duplicate", "unmapped", "phantom",
                         "total_size", "not json", "huge json", "weight_map type", "empty", "bom"])
    if choice == "missing shard":
        weights[tensor] = "model-00009-of-00009.safetensors"
    elif choice == "traversal":
        weights[tensor] = rng.choice(["../model.safetensors", "../../etc/passwd", "..", "."])
    elif choice == "absolute":
        weights[tensor] = rng.choice(["/etc/passwd", "/dev/zero", "/proc/self/mem"])
    elif choice == "subdir":
        weights[tensor] = "sub/" + weights[tensor]
    elif choice == "duplicate":  # the tensor also stored in another shard than the one the map names
        names = shards(files)
        if len(names) > 1:
            owner = weights[tensor]
            other = rng.choice([n for n in names if n != owner])
            header, data = parse(files[owner])
            info = header[tensor]
            blob = data[info["data_offsets"][0]:info["data_offsets"][1]]
            oh, od = parse(files[other])
            oh[tensor] = dict(info, data_offsets=[len(od), len(od) + len(blob)])
            files[other] = gen_safetensors.encode(oh, od + blob)
            if rng.random() < 0.5:
                weights[tensor] = other
    elif choice == "unmapped":
        del weights[tensor]
    elif choice == "phantom":
        weights["model.phantom.weight"] = rng.choice(shards(files))
    elif choice == "total_size":
        index.setdefault("metadata", {})["total_size"] = rng.choice([0, -1, 2**62, 2**64, "big", None, 1.5])
    elif choice == "not json":
        files[name] = rng.choice([b"", b"{", b"[]", b"null", b'{"weight_map": 5}', b"\xff\xfe"])
        return "index " + choice
    elif choice == "huge json":
        index["metadata"]["pad"] = "x" * rng.choice([1 << 20, 8 << 20])
        weights.update({"model.pad.%d" % i: "nope.safetensors" for i in range(rng.choice([0, 20000]))})
    elif choice == "weight_map type":
        index["weight_map"] = rng.choice([[], "x", {tensor: 5}, {tensor: None}, {tensor: ["a"]}])
    elif choice == "empty":
        index["weight_map"] = {}
    else:
        files[name] = b"\xef\xbb\xbf" + json.dumps(index).encode()
        return "index with BOM"
    files[name] = json.dumps(index).encode()
    return "index %s (%s)" % (choice, tensor)


def mutate_shard(rng, files):
    """A hostile header or data in one shard."""
    shard = rng.choice(shards(files))
    header, data = parse(files[shard])
    tensors = [k for k in header if k != "__metadata__"]
    roll = rng.random()
    if roll < 0.15:  # two tensors share (overlap) the same bytes
        ordered = sorted(tensors, key=lambda t: header[t]["data_offsets"][0])
        a, b = ordered[0], rng.choice(ordered[1:] or ordered)  # b's bytes start where a's do
        start = header[a]["data_offsets"][0]
        size = header[b]["data_offsets"][1] - header[b]["data_offsets"][0]
        header[b]["data_offsets"] = [start, start + size] if start + size <= len(data) else header[b]["data_offsets"]
        files[shard] = gen_safetensors.encode(header, data)
        return "%s: %s overlaps %s" % (shard, b, a)
    if roll < 0.3:
        target = rng.choice(tensors)
        header[target]["dtype"] = rng.choice(["F8_E4M3", "F8_E5M2", "I4", "C64", "BF32", "U64", "I8", "BOOL", "F64"])
        files[shard] = gen_safetensors.encode(header, data)
        return "%s: %s dtype %s" % (shard, target, header[target]["dtype"])
    raw, what = gen_safetensors.mutate_header(rng, header, data, tensors)
    files[shard] = raw
    return "%s: %s" % (shard, what)


def mutate_folder(rng, files, fifos, links, prefix):
    """Config, a FIFO or link in place of a shard, a missing file."""
    choice = rng.choice(["config", "fifo", "link", "missing", "dir", "escape"])
    if choice == "escape":  # names that are terminal escape codes: a companion file and a sub-folder
        files["\x1b]0;owned\x07.json"] = b"{}"
        files["sub\x1b[2J/x.json"] = b"{}"
        return "entries named with escape codes"
    others = [n for n in ("model.safetensors.index.json", "config.json", "tokenizer_config.json") if n in files]
    target = rng.choice(shards(files) if rng.random() < 0.6 else others)
    if choice == "config":
        files["config.json"] = rng.choice([b"", b"{", b"[]", b'{"model_type": "\\u001b[31m"}', b'{"model_type": 5}',
                                           b"{" + b'"a":{' * 100000 + b"}" * 100001, b'{"x": "' + b"y" * (4 << 20) + b'"}'])
        return "config.json broken"
    del files[target]
    if choice == "fifo":
        fifos.append(prefix + target)
    elif choice == "link":
        links.append([prefix + target, "/dev/zero" if rng.random() < 0.5 else "../outside.safetensors"])
    elif choice == "dir":
        files[target + "/x"] = b""
    return "%s is a %s" % (target, choice)


def mutate_peft(rng, config, tensors):
    """One hostile change to a transformer PEFT adapter (config dict, tensors [(name, header info, bytes)])."""
    choice = rng.choice(["modules", "rank", "pattern", "fan_in", "dora", "bf16 nan", "drop", "config"])
    if choice == "modules":
        config["target_modules"] = rng.choice([["q_proj", "nope_proj"], ["x_proj"], "all-linear", ".*", "(", [],
                                               ["lm_head"], ["embed_tokens"], "model\\.layers\\.0\\..*"])
        return "target_modules %s" % json.dumps(config["target_modules"])
    if choice == "rank":
        config["r"] = rng.choice([1, 2, 3, 8, 0, 2**62])
        return "r = %d" % config["r"]
    if choice == "pattern":
        key = rng.choice(gen_peft.HOSTILE_KEYS + ["q_proj", "model.layers.0.self_attn.q_proj", "(a|aa)+$" + "a" * 30])
        config[rng.choice(["rank_pattern", "alpha_pattern"])] = {key: rng.choice([1, 2, 8, 0, -1, 2**62])}
        return "pattern %.40r" % key
    if choice == "fan_in":
        config["fan_in_fan_out"] = not config.get("fan_in_fan_out")
        return "fan_in_fan_out lies"
    if choice == "dora":
        if config.get("use_dora"):
            tensors[:] = [t for t in tensors if "magnitude" not in t[0]]
            return "use_dora without magnitudes"
        config["use_dora"] = True
        return "use_dora on a LoRA"
    if choice == "bf16 nan":
        for i, (name, info, blob) in enumerate(tensors):
            if info["dtype"] in ("F32", "BF16"):
                bf = list(struct.unpack("<%dH" % (len(blob) // 2), blob))
                if info["dtype"] == "F32":
                    bf = bf[1::2]  # the high halves: float32 -> bfloat16 by truncation
                bf[0] = 0x7FC0 if rng.random() < 0.5 else 0x7F80
                tensors[i] = (name, dict(info, dtype="BF16"), struct.pack("<%dH" % len(bf), *bf))
        return "factors bf16 with NaN/inf"
    if choice == "drop":
        tensors.pop(rng.randrange(len(tensors)))
        return "a factor dropped"
    text = gen_peft.mutate_config(rng, config)
    return text


def encode_tensors(tensors):
    header, data = {"__metadata__": {"format": "pt"}}, b""
    for name, info, blob in tensors:
        header[name] = {"dtype": info["dtype"], "shape": info["shape"], "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    return gen_safetensors.encode(header, data)


def peft_files(rng, adapter):
    """The PEFT folder of `adapter`, mutated once or twice; returns (files, mutations)."""
    files = folder(adapter)
    config = json.loads(files["adapter_config.json"])
    header, data = parse(files["adapter_model.safetensors"])
    tensors = [(n, i, data[i["data_offsets"][0]:i["data_offsets"][1]]) for n, i in header.items() if n != "__metadata__"]
    mutations = [mutate_peft(rng, config, tensors) for _ in range(rng.choice([1, 1, 2]))]
    files["adapter_config.json"] = json.dumps(config).encode()
    files["adapter_model.safetensors"] = encode_tensors(tensors)
    return files, mutations


def commands(kind):
    """(label, args, outputs, verify, ok_codes)."""
    common = [("merge direct", ["merge", "model", "peft", "-o", "out"], ["out"], "model", [0]),
              ("unmerge direct", ["unmerge", "model", "peft", "-o", "out"], ["out"], "model", [0]),
              ("import --base", ["import", "peft", "--base", "model", "-o", "out.h5"], ["out.h5"], "h5", [0])]
    if kind == "model":
        return common + [("import model", ["import", "model", "-o", "out.h5"], ["out.h5"], "h5", [0]),
                         ("import model", ["import", "model", "-o", "out.h5"], ["out.h5"], "h5", [0]),
                         ("diff models", ["diff", "ref", "model"], [], None, [0, 1]),
                         ("extract models", ["extract", "ref", "model", "--rank", "1", "-o", "out.h5"], ["out.h5"], "h5", [0])]
    return common + [("merge direct", ["merge", "model", "peft", "-o", "out"], ["out"], "model", [0])]


def generate(rng, corpus, kind):
    """One `model` or `peft2` case."""
    model = rng.choice(MODELS)
    adapter = rng.choice(ADAPTERS[model])
    base = {"model/" + k: v for k, v in folder(model).items()}
    files, fifos, links, mutations = dict(base), [], [], []
    files.update({"ref/" + k: v for k, v in folder(model).items()})
    peft = folder(adapter)
    if kind == "model":
        inner = {k[len("model/"):]: v for k, v in base.items()}
        roll = rng.random()
        if roll < 0.06:
            mutations.append("valid")
        elif roll < 0.4:
            mutations.append(mutate_index(rng, inner))
        elif roll < 0.8:
            mutations.append(mutate_shard(rng, inner))
        else:
            mutations.append(mutate_folder(rng, inner, fifos, links, "model/"))
        files = {k: v for k, v in files.items() if not k.startswith("model/")}
        files.update({"model/" + k: v for k, v in inner.items()})
        files["outside.safetensors"] = base.get("model/model.safetensors", b"")
    else:
        peft, mutations = peft_files(rng, adapter)
    files.update({"peft/" + k: v for k, v in peft.items()})
    label, args, outputs, verify, ok_codes = rng.choice(commands(kind))
    expect = "ok" if mutations == ["valid"] and label in ("merge direct", "import model", "import --base") else "any"
    return {"kind": kind, "label": label, "mutation": "%s + %s: %s" % (model, adapter, "; ".join(mutations)),
            "args": args, "files": files, "fifos": fifos, "links": links, "outputs": outputs, "verify": verify,
            "expect": expect, "ok_codes": ok_codes,
            "checks": {"no_control_in_stdout": True}}  # names and config values come from the files
