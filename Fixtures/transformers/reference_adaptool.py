#!/usr/bin/env python3
"""A stand-in for adaptool, built on PEFT, to test peft_transformers_check.py itself:

    $PEFT_PYTHON peft_transformers_check.py --adaptool reference_adaptool.py --case all   → every case PASS
    REFERENCE_ADAPTOOL_BREAK=1 (doubles model.norm.weight in the output)              → FAIL naming it

It understands only the command forms the checker runs (merge MODEL PEFT -o DIR, import MODEL -o
X.h5, import PEFT --base X.h5 -o Y.h5, merge X.h5 Y.h5 -o Z.h5, export X.h5 -o DIR). Its ".h5"
files are JSON notes naming the folders; the merge is PEFT's float64 merge rounded once.
"""
import json
import os
import shutil
import sys

import torch
from safetensors import safe_open
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peft_transformers_check import float64_reference, round_once  # noqa: E402


def merge(model, adapter, out):
    shutil.copytree(model, out)
    reference = float64_reference(model, adapter)
    for file_name in sorted(os.listdir(out)):
        if not file_name.endswith(".safetensors"):
            continue
        with safe_open(os.path.join(out, file_name), framework="pt") as f:
            tensors = {k: f.get_tensor(k) for k in f.keys()}
        for name, tensor in tensors.items():
            if not torch.equal(reference[name], tensor.double()):
                tensors[name] = round_once(reference[name], tensor.dtype)
        if os.environ.get("REFERENCE_ADAPTOOL_BREAK") and "model.norm.weight" in tensors:
            tensors["model.norm.weight"] = tensors["model.norm.weight"] * 2
        save_file(tensors, os.path.join(out, file_name), metadata={"format": "pt"})


def main(args):
    command, out = args[0], args[args.index("-o") + 1]
    if command == "import":
        note = {"model": args[1]}
        if "--base" in args:
            with open(args[args.index("--base") + 1]) as f:
                note = {**json.load(f), "adapter": args[1]}
        with open(out, "w") as f:
            json.dump(note, f)
    elif command == "merge" and args[1].endswith(".h5"):
        shutil.copyfile(args[2], out)
    elif command == "merge":
        merge(args[1], args[2], out)
    elif command == "export":
        with open(args[1]) as f:
            note = json.load(f)
        if "adapter" in note:
            merge(note["model"], note["adapter"], out)
        else:
            shutil.copytree(note["model"], out)
    else:
        sys.exit(f"reference_adaptool: unsupported command {args}")


if __name__ == "__main__":
    main(sys.argv[1:])
