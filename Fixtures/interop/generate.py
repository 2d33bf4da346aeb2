#!/usr/bin/env python3
"""Writes the interop fixtures with numpy + the `safetensors` package: an independent second
implementation of the formats and of PEFT's merge formulas, never adaptool's code.

    python3 Fixtures/interop/generate.py Fixtures/interop

Deterministic (fixed seeds). Files:
  base_state_dict.safetensors       nn.Sequential(Linear(12,16), ReLU, Linear(16,10), ReLU, Linear(10,6)) as layers.0/2/4
  mixed_dtypes.safetensors          the same weights stored as F64 / F16 / BF16 (widened by the reader)
  half_conversion.safetensors       binary16 / bfloat16 edge cases (subnormals, inf, nan, ties) and their float32 values
  peft_lora/ peft_dora/ peft_rslora/ peft_pattern/      PEFT-style adapter folders (adapter_config.json + adapter_model.safetensors)
  peft_refused_*/                   PEFT folders adaptool must refuse by name (lora_bias, modules_to_save, embedding, unknown key)
  malformed/*.safetensors           broken files, one defect each
  expected_merged.safetensors       F64 merged weights per case, computed from PEFT's documented formulas
  expected.json                     scalings, fingerprints and the error fragment each malformed file must produce
"""
import hashlib
import json
import os
import struct
import sys

import numpy as np
from safetensors.numpy import save_file

PREFIX = "base_model.model."
LAYERS = ["layers.0", "layers.2", "layers.4"]
SIZES = [12, 16, 10, 6]


def base_weights():
    rng = np.random.default_rng(20240601)
    tensors = {}
    for name, (fan_in, fan_out) in zip(LAYERS, zip(SIZES, SIZES[1:])):
        tensors[f"{name}.weight"] = rng.uniform(-0.5, 0.5, (fan_out, fan_in)).astype(np.float32)
        tensors[f"{name}.bias"] = rng.uniform(-0.1, 0.1, fan_out).astype(np.float32)
    return tensors


def fingerprint(tensors):
    """spec/format.md §Fingerprint, written from the recipe."""
    h = hashlib.sha256()
    for name in LAYERS:
        w, b = tensors[f"{name}.weight"].astype("<f4"), tensors[f"{name}.bias"].astype("<f4")
        encoded = name.encode()
        h.update(struct.pack("<Q", len(encoded)) + encoded + struct.pack("<QQQ", w.shape[0], w.shape[1], b.shape[0]))
        h.update(w.tobytes() + b.tobytes())
    return h.hexdigest()


def bfloat16_bits(values):
    """float32 → bfloat16 bits, round to nearest even, NaN quieted (independent of adaptool)."""
    bits = np.asarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(np.asarray(values, dtype=np.float32))
    rounded[nan] = ((bits[nan] >> 16) | 0x40).astype(np.uint16)
    return rounded


def write_raw(path, header, buffer, pad=True):
    """A safetensors file from a hand-written header string (for duplicates and other defects)."""
    data = header.encode()
    if pad:
        data += b" " * ((8 - len(data) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(data)) + data + buffer)


def peft_config(**overrides):
    config = {
        "alpha_pattern": {}, "auto_mapping": None, "base_model_name_or_path": None, "bias": "none",
        "fan_in_fan_out": False, "inference_mode": True, "init_lora_weights": True, "layer_replication": None,
        "layers_pattern": None, "layers_to_transform": None, "loftq_config": {}, "lora_alpha": 8, "lora_bias": False,
        "lora_dropout": 0.05, "megatron_config": None, "megatron_core": "megatron.core", "modules_to_save": None,
        "peft_type": "LORA", "r": 4, "rank_pattern": {}, "revision": None, "target_modules": LAYERS,
        "task_type": None, "use_dora": False, "use_rslora": False,
    }
    config.update(overrides)
    return config


def pattern_value(pattern, module, default):
    import re
    for key, value in pattern.items():
        if re.match(rf"(.*\.)?({key})$", module):
            return value
    return default


def make_adapter(out_dir, base, config, seed, modules, magnitude_key="lora_magnitude_vector"):
    """Writes a PEFT folder and returns {module: merged float64 weight} from PEFT's formulas."""
    rng = np.random.default_rng(seed)
    os.makedirs(out_dir, exist_ok=True)
    tensors, merged, scalings = {}, {}, {}
    for module in modules:
        w = base[f"{module}.weight"].astype(np.float64)
        out_features, in_features = w.shape
        r = pattern_value(config["rank_pattern"], module, config["r"])
        alpha = pattern_value(config["alpha_pattern"], module, config["lora_alpha"])
        scaling = alpha / (np.sqrt(r) if config["use_rslora"] else r)
        a = rng.normal(0, 0.3, (r, in_features)).astype(np.float32)
        b = rng.normal(0, 0.3, (out_features, r)).astype(np.float32)
        tensors[f"{PREFIX}{module}.lora_A.weight"] = a
        tensors[f"{PREFIX}{module}.lora_B.weight"] = b
        v = w + scaling * (b.astype(np.float64) @ a.astype(np.float64))
        if config["use_dora"]:
            # PEFT initialises m to ‖W‖ per output row; perturb it as training would.
            m = (np.linalg.norm(w, axis=1) * rng.uniform(0.8, 1.2, out_features)).astype(np.float32)
            tensors[f"{PREFIX}{module}.{magnitude_key}"] = m
            v = m.astype(np.float64)[:, None] * v / np.linalg.norm(v, axis=1, keepdims=True)
        merged[module] = v
        scalings[module] = scaling
    save_file(tensors, os.path.join(out_dir, "adapter_model.safetensors"))
    with open(os.path.join(out_dir, "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
    return merged, scalings


def write_refused(root, base):
    """Folders holding something adaptool cannot represent; each must be refused by name."""
    a = np.full((4, 12), 0.1, np.float32)
    b = np.full((16, 4), 0.1, np.float32)
    good = {f"{PREFIX}layers.0.lora_A.weight": a, f"{PREFIX}layers.0.lora_B.weight": b}
    cases = {
        "peft_refused_lora_bias": (peft_config(lora_bias=True), {**good, f"{PREFIX}layers.0.lora_B.bias": np.zeros(16, np.float32)}),
        "peft_refused_modules_to_save": (peft_config(modules_to_save=["layers.4"]), good),
        "peft_refused_embedding": (peft_config(), {**good, f"{PREFIX}embed.lora_embedding_A": np.zeros((4, 100), np.float32)}),
        "peft_refused_unknown_key": (peft_config(), {**good, f"{PREFIX}layers.0.lora_C.weight": a}),
    }
    fragments = {
        "peft_refused_lora_bias": "lora_bias", "peft_refused_modules_to_save": "modules_to_save",
        "peft_refused_embedding": "lora_embedding_A", "peft_refused_unknown_key": "lora_C.weight",
    }
    for name, (config, tensors) in cases.items():
        os.makedirs(os.path.join(root, name), exist_ok=True)
        save_file(tensors, os.path.join(root, name, "adapter_model.safetensors"))
        with open(os.path.join(root, name, "adapter_config.json"), "w") as f:
            json.dump(config, f, indent=2, sort_keys=True)
    return fragments


def write_malformed(root):
    folder = os.path.join(root, "malformed")
    os.makedirs(folder, exist_ok=True)
    p = lambda name: os.path.join(folder, name)
    f32 = np.arange(8, dtype="<f4").tobytes()  # 32 bytes
    t = lambda dtype, shape, begin, end: {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}
    # The header length field says 4096 bytes but the file is far shorter.
    with open(p("bad_header_length.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", 4096) + b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}' + b"\0" * 4)
    # A header length above the reference implementation's 100 MB cap.
    with open(p("huge_header_length.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", 200_000_000) + b"{}      ")
    write_raw(p("overlapping_offsets.safetensors"),
              json.dumps({"a": t("F32", [4], 0, 16), "b": t("F32", [4], 8, 24)}), f32[:24])
    write_raw(p("out_of_range_offsets.safetensors"),
              json.dumps({"a": t("F32", [4], 0, 16), "b": t("F32", [8], 16, 48)}), f32)
    write_raw(p("wrong_byte_count.safetensors"), json.dumps({"a": t("F32", [2, 2], 0, 12), "b": t("F32", [5], 12, 32)}), f32)
    write_raw(p("duplicate_names.safetensors"),
              '{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"a":{"dtype":"F32","shape":[4],"data_offsets":[16,32]}}', f32)
    write_raw(p("unknown_dtype.safetensors"), json.dumps({"a": t("Q3", [8], 0, 32)}), f32)
    write_raw(p("gap_in_offsets.safetensors"), json.dumps({"a": t("F32", [2], 0, 8), "b": t("F32", [4], 16, 32)}), f32)
    write_raw(p("trailing_bytes.safetensors"), json.dumps({"a": t("F32", [4], 0, 16)}), f32)
    write_raw(p("not_json.safetensors"), '{"a": [1, 2', b"")
    with open(p("too_short.safetensors"), "wb") as f:
        f.write(b"\x10\0\0")
    # Valid safetensors, but an integer tensor where a weight belongs: refused by dtype name.
    save_file({"layers.0.weight": np.ones((2, 3), np.int64), "layers.0.bias": np.zeros(2, np.float32)}, p("int64_weight.safetensors"))
    return {
        "bad_header_length.safetensors": "header length is 4096",
        "huge_header_length.safetensors": "above the 100000000-byte limit",
        "overlapping_offsets.safetensors": "overlap",
        "out_of_range_offsets.safetensors": "run past the end",
        "wrong_byte_count.safetensors": "spans 12 bytes but F32",
        "duplicate_names.safetensors": "duplicate key \"a\"",
        "unknown_dtype.safetensors": "unknown dtype \"Q3\"",
        "gap_in_offsets.safetensors": "no gap",
        "trailing_bytes.safetensors": "cover 16 bytes but the data buffer holds 32",
        "not_json.safetensors": "not valid JSON",
        "too_short.safetensors": "too short",
        "int64_weight.safetensors": "dtype I64",
    }


def write_half_cases(root):
    halves = np.array([0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x0400, 0x3C00, 0x3C01, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00,
                       0x7E00, 0x7C01, 0x3555, 0x1234, 0x0200], dtype=np.uint16)
    f32_inputs = np.array([0.0, -0.0, 1.0, 1.0 + 2.0**-11, 1.0 + 3 * 2.0**-11, 65504.0, 65519.99, 65520.0, 1e9, -1e9,
                           2.0**-24, 2.0**-25, 2.0**-25 * 1.0001, 3 * 2.0**-26, 2.0**-14 - 2.0**-25, 6.1e-5, 1e-8,
                           np.inf, -np.inf, np.nan, 0.1, -3.14159, 1.0 + 2.0**-8, 1.0 + 3 * 2.0**-8, 3.4e38, 1e-40],
                          dtype=np.float32)
    with np.errstate(over="ignore"):  # 65520 and up overflow to inf on purpose
        narrowed = f32_inputs.astype(np.float16)
    tensors = {
        "f16_bits_as_f16": halves.view(np.float16),
        "f16_bits_widened": halves.view(np.float16).astype(np.float32),
        "narrow_input": f32_inputs,
        "narrow_f16": narrowed,
        "narrow_bf16_bits": bfloat16_bits(f32_inputs).astype(np.int32).astype(np.float32),
    }
    save_file(tensors, os.path.join(root, "half_conversion.safetensors"))
    # The same 17 bit patterns as a BF16 tensor, hand-written (numpy has no bfloat16).
    bf = bfloat16_bits(f32_inputs)
    header = json.dumps({"bf16": {"dtype": "BF16", "shape": [len(bf)], "data_offsets": [0, 2 * len(bf)]},
                         "bf16_widened": {"dtype": "F32", "shape": [len(bf)], "data_offsets": [2 * len(bf), 6 * len(bf)]}})
    widened = (bf.astype(np.uint32) << 16).view(np.float32)
    write_raw(os.path.join(root, "bfloat16.safetensors"), header, bf.astype("<u2").tobytes() + widened.astype("<f4").tobytes())


def main(root):
    os.makedirs(root, exist_ok=True)
    base = base_weights()
    save_file(base, os.path.join(root, "base_state_dict.safetensors"))
    mixed = {}
    for index, (key, value) in enumerate(sorted(base.items())):
        mixed[key] = value.astype([np.float64, np.float16, np.float32][index % 3])
    save_file(mixed, os.path.join(root, "mixed_dtypes.safetensors"))
    write_half_cases(root)

    cases = {
        "peft_lora": (peft_config(r=4, lora_alpha=8), 11, LAYERS, "lora_magnitude_vector"),
        "peft_dora": (peft_config(r=2, lora_alpha=4, use_dora=True), 12, LAYERS, "lora_magnitude_vector"),
        "peft_rslora": (peft_config(r=4, lora_alpha=6, use_rslora=True, target_modules=["layers.0", "layers.4"]), 13,
                        ["layers.0", "layers.4"], "lora_magnitude_vector"),
        "peft_pattern": (peft_config(r=4, lora_alpha=8, use_dora=True, rank_pattern={"layers.2": 2}, alpha_pattern={"layers.4": 3}),
                         14, LAYERS, "lora_magnitude_vector.weight"),
    }
    expected = {"base_fingerprint": fingerprint(base), "layers": LAYERS, "cases": {}}
    merged_tensors = {}
    for name, (config, seed, modules, magnitude_key) in cases.items():
        merged, scalings = make_adapter(os.path.join(root, name), base, config, seed, modules, magnitude_key)
        expected["cases"][name] = {"method": "dora" if config["use_dora"] else "lora", "scaling": scalings,
                                   "ranks": {m: pattern_value(config["rank_pattern"], m, config["r"]) for m in modules}}
        for layer in LAYERS:
            merged_tensors[f"{name}/{layer}"] = merged.get(layer, base[f"{layer}.weight"].astype(np.float64))
    save_file(merged_tensors, os.path.join(root, "expected_merged.safetensors"))
    expected["refused"] = write_refused(root, base)
    expected["malformed"] = write_malformed(root)
    with open(os.path.join(root, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
