#!/usr/bin/env python3
"""Opt-in check that PEFT loads a PEFT folder written by `adaptool export ADAPTER_V2.h5` exactly as
it loads the folder the adapter was imported from: the same modules, ranks, scalings,
fan_in_fan_out and DoRA magnitudes, and a bit-identical float64 merge_and_unload.

    $PEFT_PYTHON Fixtures/transformers/peft_export_check.py MODEL_DIR ORIGINAL_PEFT_DIR EXPORTED_PEFT_DIR

Prints one PASS/FAIL line; exit status 1 on FAIL. Needs torch, transformers and peft.
"""
import sys
import warnings

import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM


def load(model_dir, adapter_dir):
    base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float64)
    wrapped = PeftModel.from_pretrained(base, adapter_dir, autocast_adapter_dtype=False)
    settings = {name: (module.r["default"], module.scaling["default"], module.fan_in_fan_out,
                       "default" in getattr(module, "lora_magnitude_vector", {}))
                for name, module in wrapped.named_modules()
                if isinstance(getattr(module, "scaling", None), dict) and "default" in module.scaling}
    return settings, {k: v.clone() for k, v in wrapped.merge_and_unload().state_dict().items()}


def main():
    warnings.filterwarnings("ignore")
    model_dir, original, exported = sys.argv[1:4]
    settings_a, merged_a = load(model_dir, original)
    settings_b, merged_b = load(model_dir, exported)
    differing = sorted(k for k in set(settings_a) | set(settings_b) if settings_a.get(k) != settings_b.get(k))
    unequal = sorted(k for k in merged_a if k not in merged_b or not torch.equal(merged_a[k], merged_b[k]))
    ok = not differing and not unequal and settings_a
    detail = (f"{len(settings_a)} modules with the same rank/scaling/fan_in_fan_out/magnitude, identical float64 merge"
              if ok else f"settings differ at {differing[:3]}, merges differ at {unequal[:3]}")
    print(f"{'PASS' if ok else 'FAIL'} {exported}: {detail}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
