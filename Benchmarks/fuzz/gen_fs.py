"""File-system fault cases: inputs that are not regular files, outputs that are folders, links,
`..`, long names or missing folders, and a full disk (a small tmpfs, when `mount` is allowed)."""
import os

#: Sizes of the per-case tmpfs: around the outputs' sizes (12 KB merges to 60 KB trained models).
TMPFS_SIZES = [16 << 10, 32 << 10, 64 << 10, 128 << 10]
TRAIN = ["train", "base", "--data", "cifar", "--hidden", "4", "--epochs", "1", "--batch-size", "8", "--quiet"]


def writers():
    """(label, args before -o, extension of OUT, verify) of every command that writes a file."""
    return [("merge", ["merge", "base.h5", "lora.h5"], ".h5", "h5"),
            ("merge --compress", ["merge", "base.h5", "lora.h5", "--compress"], ".h5", "h5"),
            ("unmerge", ["unmerge", "base.h5", "lora.h5"], ".h5", "h5"),
            ("extract", ["extract", "base.h5", "tuned.h5", "--rank", "1"], ".h5", "h5"),
            ("import", ["import", "state.safetensors"], ".h5", "h5"),
            ("import PEFT", ["import", "peft", "--base", "ibase.h5"], ".h5", "h5"),
            ("export", ["export", "base.h5"], ".safetensors", "st"),
            ("export PEFT", ["export", "lora.h5"], "", "peft"),
            ("train --metrics", TRAIN + ["--metrics", "METRICS"], ".h5", "h5")]


def readers(path):
    """(label, args, outputs) of commands that read `path` (a faulty input)."""
    return [("inspect", ["inspect", path], []), ("inspect --json", ["inspect", "--json", path], []),
            ("inspect --verify", ["inspect", "--verify", path], []),
            ("merge", ["merge", path, "lora.h5", "-o", "out.h5"], ["out.h5"]),
            ("diff", ["diff", "base.h5", path], []),
            ("import", ["import", path, "-o", "out.h5"], ["out.h5"]),
            ("export", ["export", path, "-o", "out.safetensors"], ["out.safetensors"]),
            ("eval", ["eval", path, "--data", "cifar"], [])]


def inputs(corpus, prefix=""):
    files = {"base.h5": corpus.checkpoint, "lora.h5": corpus.lora, "tuned.h5": corpus.fixtures["checkpoint_float16.h5"][0],
             "state.safetensors": corpus.base_st, "ibase.h5": corpus.interop_base_h5,
             "peft/adapter_config.json": corpus_peft(corpus)[0], "peft/adapter_model.safetensors": corpus_peft(corpus)[1]}
    files.update({"cifar/" + k: v for k, v in corpus.cifar.items()})
    return {prefix + k: v for k, v in files.items()}


def corpus_peft(corpus):
    import json
    config, model = corpus.peft["peft_lora"]
    return json.dumps(config).encode(), model


def input_case(rng, corpus):
    fault = rng.choice(["fifo", "folder", "symlink loop", "dangling symlink", "/dev/zero", "/dev/null", "/dev/urandom",
                        "symlink to a valid file"])
    case = {"files": inputs(corpus), "dirs": [], "fifos": [], "links": [], "expect": "refuse"}
    path = "in.h5"
    if fault == "fifo":
        case["fifos"] = [path]
    elif fault == "folder":
        case["files"]["in.h5/keep.txt"] = b"keep\n"
    elif fault == "symlink loop":
        case["links"] = [["in.h5", "loop.h5"], ["loop.h5", "in.h5"]]
    elif fault == "dangling symlink":
        case["links"] = [["in.h5", "missing.h5"]]
    elif fault.startswith("/dev/"):
        path = fault
    else:
        case["links"] = [["in.h5", "base.h5"]]
        case["expect"] = "any"
    label, args, outputs = rng.choice(readers(path))
    case.update({"label": label, "mutation": "input is a " + fault, "args": args, "outputs": outputs,
                 "ok_codes": [0, 1] if label == "diff" else [0]})
    return case


def output_case(rng, corpus, mounts_ok):
    label, args, ext, verify = rng.choice(writers())
    faults = ["folder --force", "folder/ --force", "folder", "symlink --force", "symlink", "dangling symlink --force",
              "..", ".", "long name", "existing file", "existing file --force", "missing folder"]
    if mounts_ok:
        faults += ["disk full"] * 4 + ["disk full, existing output --force"] * 2
    fault = rng.choice(faults)
    case = {"files": inputs(corpus), "dirs": [], "links": [], "tmpfs": [], "may_change": [], "expect": "refuse",
            "cwd": ".", "verify": verify}
    out, force = "out" + ext, "--force" in fault or fault in ("..", ".")
    if fault.startswith("folder"):
        out = "d/" if "/" in fault else "d"
        case["files"]["d/keep.txt"] = b"keep\n"
    elif fault.startswith("symlink"):
        case["files"]["target" + ext] = b"precious, not an output\n"
        case["links"] = [[out, "target" + ext]]
        if force:
            case["expect"], case["may_change"] = "ok", [out]
    elif fault.startswith("dangling"):
        case["links"] = [[out, "missing" + ext]]
        case["expect"], case["may_change"] = "ok", [out]
    elif fault in ("..", "."):
        case["files"] = inputs(corpus, "work/sub/")
        case["files"]["work/keep.txt"] = b"keep\n"
        case["cwd"], out = "work/sub", fault
    elif fault == "long name":
        length = rng.randrange(240, 256)
        out = "n" * (length - len(ext)) + ext
        case["expect"] = "ok"
    elif fault.startswith("existing file"):
        case["files"][out] = b"old output\n"
        if force:
            case["expect"], case["may_change"] = "ok", [out]
    elif fault == "missing folder":
        out = "nodir/" + out
    else:
        size = rng.choice(TMPFS_SIZES)
        free = rng.choice([0, 512, 4096, 8192, 12288, rng.randrange(size)])
        case["tmpfs"] = [{"path": "full", "size": size, "free": free}]
        case["expect"] = "any"
        out = "full/" + out
        if "existing" in fault:
            case["files"][out] = b"old output\n"
            case["may_change"] = [out]
        fault = "disk full (tmpfs %d KiB, %d bytes free)" % (size >> 10, free)
    metrics = os.path.join(os.path.dirname(out.rstrip("/")) if out not in ("..", ".") else "", "m.csv")
    case["args"] = [a.replace("METRICS", metrics) for a in args] + ["-o", out] + (["--force"] if force else [])
    outputs = [out.rstrip("/")] + ([metrics] if label == "train --metrics" else [])
    case["outputs"] = [os.path.normpath(os.path.join(case["cwd"], o)) for o in outputs]
    case.update({"label": label, "mutation": "output: " + fault})
    return case


def shrink_case(rng, corpus):
    """An input truncated by another process while adaptool reads it (eval of a CIFAR batch, import
    of a safetensors file): an error or a result, never SIGBUS, never a temporary file left."""
    import gen_safetensors
    import numpy as np
    case = {"files": inputs(corpus), "expect": "any"}
    if rng.random() < 0.5:
        records = rng.choice([2000, 4000])
        npr = np.random.default_rng(rng.getrandbits(32))
        batch = np.concatenate([npr.integers(0, 10, (records, 1)), npr.integers(0, 256, (records, 3072))], axis=1)
        case["files"]["cifar/test_batch.bin"] = batch.astype(np.uint8).tobytes()
        path, label, args, outputs = "cifar/test_batch.bin", "eval", ["eval", "cifar.h5", "--data", "cifar"], []
        case["files"]["cifar.h5"] = corpus.cifar_checkpoint
    else:
        side = rng.choice([512, 1024])
        tensors = [("layers.0.weight", np.ones((side, side), "<f4")), ("layers.0.bias", np.zeros(side, "<f4"))]
        header, data = gen_safetensors.build(tensors)
        case["files"]["big.safetensors"] = gen_safetensors.encode(header, data)
        path, label, args, outputs = "big.safetensors", "import", ["import", "big.safetensors", "-o", "out.h5"], ["out.h5"]
    size = len(case["files"][path])
    case["shrink"] = {"path": path, "after": rng.choice([0.0, 0.01, 0.03, 0.06, 0.1]), "size": rng.randrange(size // 2)}
    case.update({"label": label, "args": args, "outputs": outputs, "verify": "h5" if outputs else None,
                 "mutation": "input shrinks to %d bytes after %.2f s" % (case["shrink"]["size"], case["shrink"]["after"])})
    return case


def generate(rng, corpus, mounts_ok):
    """One file-system fault case."""
    roll = rng.random()
    case = input_case(rng, corpus) if roll < 0.35 else shrink_case(rng, corpus) if roll < 0.45 else output_case(rng, corpus, mounts_ok)
    case["kind"] = "fs"
    return case
