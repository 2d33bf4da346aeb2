"""PEFT-layout LoRA/DoRA adapter folders on the tiny models, and their float64 merges.

Formulas and semantics, as read in PEFT 0.21.2's source (peft/tuners/lora/layer.py, model.py,
variants.py, dora.py, peft/utils/other.py):
  * scaling = alpha / r, or alpha / sqrt(r) with use_rslora (LoraLayer.update_layer);
  * rank/alpha per module: `get_pattern_key` takes the FIRST key of rank_pattern / alpha_pattern
    (in dict order) with re.match(rf"(.*\\.)?({key})$", module_name), i.e. the key is a regex
    that must match a whole trailing run of dot-separated parts of the module name
    ("o_proj" matches "model.layers.0.self_attn.o_proj", "proj" does not); otherwise r/lora_alpha;
  * target_modules as a list: a module is targeted when its name equals an entry or ends with
    "." + entry; "all-linear": every nn.Linear/Conv1D except the output layer (lm_head);
  * LoRA merge: W + transpose(B @ A, fan_in_fan_out) * scaling (Linear.get_delta_weight);
  * DoRA merge (DoraLinearVariant.merge_*, DoraLinearLayer.get_weight_norm):
      norm = ||transpose(W, fan_in_fan_out) + scaling * B @ A|| per output row (dim=1 of the
      [out, in] matrix), W' = transpose(m / norm, fan_in_fan_out) * (W + ΔW): for a Conv1D
      ([in, out]) weight the norm is taken over the [out, in] orientation and the factor scales
      columns;
  * saved keys: base_model.model.<module>.lora_A.weight [r, in], .lora_B.weight [out, r],
    .lora_magnitude_vector [out] (PEFT ≥ 0.12 drops the ".weight" of the magnitude). For Conv1D,
    in = weight.shape[0], out = weight.shape[1].
Unlike real PEFT (which initialises B to zero), B is random so that every merge changes W; it is
scaled so that ||ΔW||_F / ||W||_F is between 2 % and 8 % per module.
"""
import json
import os
import re

import numpy as np

from models import float64_of
from st_io import BF16, bf16_from, write_safetensors

PREFIX = "base_model.model."


def peft_config(**overrides):
    """adapter_config.json as PEFT 0.21 writes it (fields it always writes), with overrides."""
    config = {
        "alora_invocation_tokens": None, "alpha_pattern": {}, "arrow_config": None, "auto_mapping": None,
        "base_model_name_or_path": None, "bias": "none", "corda_config": None, "ensure_weight_tying": False,
        "eva_config": None, "exclude_modules": None, "fan_in_fan_out": False, "inference_mode": True,
        "init_lora_weights": True, "layer_replication": None, "layers_pattern": None, "layers_to_transform": None,
        "loftq_config": {}, "lora_alpha": 8, "lora_bias": False, "lora_dropout": 0.0, "megatron_config": None,
        "megatron_core": "megatron.core", "modules_to_save": None, "peft_type": "LORA", "peft_version": "0.21.2",
        "r": 4, "rank_pattern": {}, "revision": None, "target_modules": [], "target_parameters": None,
        "task_type": "CAUSAL_LM", "trainable_token_indices": None, "use_dora": False, "use_rslora": False,
    }
    config.update(overrides)
    return config


def pattern_value(pattern, module, default):
    """peft.utils.other.get_pattern_key + dict.get: first matching key wins."""
    for key, value in pattern.items():
        if re.match(rf"(.*\.)?({key})$", module):
            return value
    return default


def targeted_modules(weights, target_modules, output_layer):
    """Module names (weight name minus ".weight") of 2-D weights PEFT would wrap."""
    modules = [name[:-len(".weight")] for name, value in weights.items()
               if name.endswith(".weight") and len(value.shape) == 2 and not _is_embedding(name)]
    if target_modules == "all-linear":
        return [m for m in modules if m != output_layer]
    return [m for m in modules if any(m == t or m.endswith("." + t) for t in target_modules)]


def _is_embedding(name):
    return name.endswith(("embed_tokens.weight", "wte.weight", "wpe.weight"))


def store(values, dtype):
    """Rounds float64 values once to the adapter's storage dtype."""
    if dtype == "BF16":
        return bf16_from(values)
    return np.asarray(values, dtype={"F32": np.float32, "F16": np.float16}[dtype])


def make_adapter(root, name, base_name, weights, config, seed, adapter_dtype="F32"):
    """Writes root/name/{adapter_config.json, adapter_model.safetensors}; returns (description, merged)."""
    rng = np.random.default_rng(seed)
    fan_in_fan_out = config["fan_in_fan_out"]
    output_layer = "lm_head"
    modules = targeted_modules(weights, config["target_modules"], output_layer)
    assert modules, f"{name}: no module targeted"
    tensors, merged, targets = {}, {}, {}
    for module in modules:
        weight_name = module + ".weight"
        w = float64_of(weights[weight_name])
        w_out_in = w.T if fan_in_fan_out else w  # [out, in], PEFT's orientation for B @ A
        out_features, in_features = w_out_in.shape
        r = pattern_value(config["rank_pattern"], module, config["r"])
        alpha = pattern_value(config["alpha_pattern"], module, config["lora_alpha"])
        scaling = alpha / np.sqrt(r) if config["use_rslora"] else alpha / r
        a = rng.normal(0.0, 1.0 / np.sqrt(in_features), (r, in_features))
        b = rng.normal(0.0, 1.0, (out_features, r))
        ratio = rng.uniform(0.02, 0.08)
        b *= ratio * np.linalg.norm(w_out_in) / np.linalg.norm(scaling * b @ a)
        a_stored, b_stored = store(a, adapter_dtype), store(b, adapter_dtype)
        tensors[f"{PREFIX}{module}.lora_A.weight"] = a_stored
        tensors[f"{PREFIX}{module}.lora_B.weight"] = b_stored
        delta = scaling * (float64_of(b_stored) @ float64_of(a_stored))  # [out, in]
        v = w_out_in + delta
        if config["use_dora"]:
            # PEFT initialises m to the row norms of W + ΔW; perturb it by up to ±5 % as training would.
            m_stored = store(np.linalg.norm(v, axis=1) * rng.uniform(0.95, 1.05, out_features), adapter_dtype)
            tensors[f"{PREFIX}{module}.lora_magnitude_vector"] = m_stored
            v = (float64_of(m_stored) / np.linalg.norm(v, axis=1))[:, None] * v
        merged[weight_name] = v.T if fan_in_fan_out else v
        targets[weight_name] = {"module": module, "rank": r, "alpha": alpha, "scaling": scaling,
                                "shape": list(w.shape)}
    folder = os.path.join(root, name)
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "adapter_model.safetensors"), tensors)
    with open(os.path.join(folder, "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    description = {"base": base_name, "method": "dora" if config["use_dora"] else "lora",
                   "adapter_dtype": adapter_dtype, "fan_in_fan_out": fan_in_fan_out,
                   "use_rslora": config["use_rslora"], "targets": targets,
                   "expected": f"expected/{name}.safetensors"}
    return description, merged


def write_adapters(root, models):
    """Every valid adapter, with its expected float64 merge in root/expected/<name>.safetensors."""
    llama32, llama_bf16 = models["llama-f32"][0], models["llama-bf16"][0]
    llama_f16, gpt2 = models["llama-f16"][0], models["gpt2-f32"][0]
    cases = [
        ("llama-lora-all-linear", "llama-f32", llama32,
         peft_config(target_modules="all-linear", base_model_name_or_path="llama-f32"), 101, "F32"),
        ("llama-dora", "llama-f32", llama32,
         peft_config(use_dora=True, target_modules=["q_proj", "v_proj", "down_proj"],
                     base_model_name_or_path="llama-f32"), 102, "F32"),
        ("llama-rslora-patterns", "llama-f32", llama32,
         peft_config(use_rslora=True, lora_alpha=16, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"],
                     rank_pattern={"model.layers.1.self_attn.q_proj": 8}, alpha_pattern={"o_proj": 4},
                     base_model_name_or_path="llama-f32"), 103, "F32"),
        ("llama-bf16-lora", "llama-bf16", llama_bf16,
         peft_config(target_modules=["q_proj", "v_proj"], base_model_name_or_path="llama-bf16"), 104, "BF16"),
        ("llama-f16-dora", "llama-f16", llama_f16,
         peft_config(use_dora=True, target_modules=["gate_proj", "up_proj"], base_model_name_or_path="llama-f16"),
         105, "F16"),
        ("gpt2-lora-conv1d", "gpt2-f32", gpt2,
         peft_config(fan_in_fan_out=True, target_modules=["c_attn", "c_proj", "c_fc"],
                     base_model_name_or_path="gpt2-f32"), 106, "F32"),
        ("gpt2-dora-conv1d", "gpt2-f32", gpt2,
         peft_config(use_dora=True, fan_in_fan_out=True, target_modules=["c_fc"], base_model_name_or_path="gpt2-f32"),
         107, "F32"),
    ]
    os.makedirs(os.path.join(root, "expected"), exist_ok=True)
    descriptions = {}
    for name, base_name, weights, config, seed, adapter_dtype in cases:
        description, merged = make_adapter(root, name, base_name, weights, config, seed, adapter_dtype)
        write_safetensors(os.path.join(root, "expected", f"{name}.safetensors"), merged)
        descriptions[name] = description
    return descriptions


def write_invalid_adapters(root, models):
    """Adapters that do not fit their base; each must be refused naming the module (the fragment)."""
    llama32 = models["llama-f32"][0]
    invalid = {}
    # lora_A of down_proj built for the hidden size (32) instead of down_proj's input (intermediate, 64).
    description, _ = make_adapter(root, "llama-lora-wrong-shape", "llama-f32", llama32,
                                  peft_config(target_modules=["down_proj"], base_model_name_or_path="llama-f32"), 201)
    path = os.path.join(root, "llama-lora-wrong-shape", "adapter_model.safetensors")
    _rewrite(path, f"{PREFIX}model.layers.1.mlp.down_proj.lora_A.weight",
             np.random.default_rng(202).normal(0, 0.1, (4, 32)).astype(np.float32))
    invalid["llama-lora-wrong-shape"] = {"base": "llama-f32", "module": "model.layers.1.mlp.down_proj",
                                         "defect": "lora_A is [4, 32], the module's input is 64"}
    # target_modules names x_proj, which the model lacks; the file holds tensors for it.
    folder = os.path.join(root, "llama-lora-unknown-module")
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(203)
    tensors = {}
    for module in ("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.x_proj"):
        tensors[f"{PREFIX}{module}.lora_A.weight"] = rng.normal(0, 0.1, (4, 32)).astype(np.float32)
        tensors[f"{PREFIX}{module}.lora_B.weight"] = rng.normal(0, 0.01, (32, 4)).astype(np.float32)
    write_safetensors(os.path.join(folder, "adapter_model.safetensors"), tensors)
    with open(os.path.join(folder, "adapter_config.json"), "w") as f:
        json.dump(peft_config(target_modules=["q_proj", "x_proj"], base_model_name_or_path="llama-f32"),
                  f, indent=2, sort_keys=True)
        f.write("\n")
    invalid["llama-lora-unknown-module"] = {"base": "llama-f32", "module": "model.layers.0.self_attn.x_proj",
                                            "defect": "the base model has no module of that name"}
    return invalid


def _rewrite(path, key, value):
    from safetensors.numpy import load_file
    tensors = load_file(path)
    tensors[key] = value
    write_safetensors(path, tensors)
