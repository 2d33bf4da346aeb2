"""Checks adaptool's PEFT export against PEFT itself (needs torch and peft; run by the interop
CLI tests when PEFT_PYTHON names a Python that has them, skipped otherwise).

Usage: peft_load_check.py BASE_STATE_DICT.safetensors EXPORTED_PEFT_FOLDER ADAPTOOL_MERGED.safetensors

Builds an nn.Sequential MLP (Linear/ReLU, module names layers.0, layers.2, ...) from the base state
dict, loads the exported folder with PeftModel.from_pretrained, and compares
  1. PEFT's unmerged forward pass with the forward pass of adaptool's merged weights, and
  2. PEFT's merge_and_unload() weights with adaptool's merged weights.
Prints one JSON line; exits 1 if either differs by more than 1e-5 relative to the largest value.
"""
import json
import sys

import torch
from peft import PeftModel
from safetensors.torch import load_file


def mlp_from(state):
    indices = sorted({int(k.split(".")[1]) for k in state if k.endswith(".weight")})
    modules = []
    for position, index in enumerate(indices):
        while len(modules) < index:
            modules.append(torch.nn.ReLU())
        out_features, in_features = state[f"layers.{index}.weight"].shape
        modules.append(torch.nn.Linear(in_features, out_features))
    model = torch.nn.Module()
    model.layers = torch.nn.Sequential(*modules)
    model.forward = lambda x: model.layers(x)
    model.load_state_dict(state)
    return model, indices


def main():
    base_path, folder, merged_path = sys.argv[1:4]
    torch.manual_seed(0)
    base_state = load_file(base_path)
    merged_state = load_file(merged_path)
    model, indices = mlp_from(base_state)
    peft_model = PeftModel.from_pretrained(model, folder).eval()
    x = torch.randn(32, base_state[f"layers.{indices[0]}.weight"].shape[1])
    with torch.no_grad():
        peft_out = peft_model(x)
        ours, _ = mlp_from(merged_state)
        our_out = ours(x)
        merged = peft_model.merge_and_unload()
    logit_diff = (peft_out - our_out).abs().max().item() / max(peft_out.abs().max().item(), 1e-12)
    weight_diff = max(
        (merged.layers[i].weight - merged_state[f"layers.{i}.weight"]).abs().max().item()
        / max(merged_state[f"layers.{i}.weight"].abs().max().item(), 1e-12)
        for i in indices)
    ok = logit_diff <= 1e-5 and weight_diff <= 1e-5
    print(json.dumps({"ok": ok, "relative_logit_diff": logit_diff, "relative_weight_diff": weight_diff,
                      "torch": torch.__version__, "peft": __import__("peft").__version__}))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
