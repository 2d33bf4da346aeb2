"""Tiny Llama- and GPT-2-shaped Hugging Face model folders (numpy only, seeded).

Tensor names, shapes and their order are those of transformers' LlamaForCausalLM and
GPT2LMHeadModel state dicts (checked against transformers 5.24: see peft_transformers_check.py
--check-fixtures). config.json holds what transformers writes for these sizes.
"""
import json
import os

import numpy as np

from st_io import BF16, bf16_from, write_safetensors, write_sharded

TRANSFORMERS_VERSION = "5.24.0"  # the release these configs were copied from

LLAMA = {"hidden": 32, "intermediate": 64, "layers": 2, "heads": 4, "kv_heads": 2, "vocab": 128, "positions": 64}
GPT2 = {"embd": 32, "layers": 2, "heads": 4, "vocab": 128, "positions": 64}

#: A stand-in for the tokenizer and other non-weight files a model folder carries; nothing reads it.
TOKENIZER_CONFIG = {
    "bos_token": "<s>", "eos_token": "</s>", "model_max_length": 64, "clean_up_tokenization_spaces": False,
    "comment": "dummy file for adaptool's fixtures: export must copy it byte for byte",
}


def llama_config(dtype):
    head_dim = LLAMA["hidden"] // LLAMA["heads"]
    return {
        "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "bos_token_id": 1, "dtype": dtype, "eos_token_id": 2, "head_dim": head_dim, "hidden_act": "silu",
        "hidden_size": LLAMA["hidden"], "initializer_range": 0.02, "intermediate_size": LLAMA["intermediate"],
        "max_position_embeddings": LLAMA["positions"], "mlp_bias": False, "model_type": "llama",
        "num_attention_heads": LLAMA["heads"], "num_hidden_layers": LLAMA["layers"],
        "num_key_value_heads": LLAMA["kv_heads"], "pad_token_id": None, "pretraining_tp": 1, "rms_norm_eps": 1e-06,
        "rope_parameters": {"rope_theta": 10000.0, "rope_type": "default"}, "tie_word_embeddings": False,
        "transformers_version": TRANSFORMERS_VERSION, "use_cache": True, "vocab_size": LLAMA["vocab"],
    }


def gpt2_config():
    return {
        "activation_function": "gelu_new", "add_cross_attention": False, "architectures": ["GPT2LMHeadModel"],
        "attn_pdrop": 0.1, "bos_token_id": 1, "dtype": "float32", "embd_pdrop": 0.1, "eos_token_id": 2,
        "initializer_range": 0.02, "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_embd": GPT2["embd"],
        "n_head": GPT2["heads"], "n_inner": None, "n_layer": GPT2["layers"], "n_positions": GPT2["positions"],
        "pad_token_id": None, "reorder_and_upcast_attn": False, "resid_pdrop": 0.1,
        "scale_attn_by_inverse_layer_idx": False, "scale_attn_weights": True, "summary_activation": None,
        "summary_first_dropout": 0.1, "summary_proj_to_labels": True, "summary_type": "cls_index",
        "summary_use_proj": True, "tie_word_embeddings": True, "transformers_version": TRANSFORMERS_VERSION,
        "use_cache": True, "vocab_size": GPT2["vocab"],
    }


def generation_config():
    return {"_from_model_config": True, "bos_token_id": 1, "eos_token_id": 2, "output_attentions": False,
            "output_hidden_states": False, "transformers_version": TRANSFORMERS_VERSION, "use_cache": True}


def llama_shapes():
    """(name, shape) in LlamaForCausalLM.state_dict() order."""
    h, i, v = LLAMA["hidden"], LLAMA["intermediate"], LLAMA["vocab"]
    kv = LLAMA["kv_heads"] * (h // LLAMA["heads"])
    shapes = [("model.embed_tokens.weight", (v, h))]
    for n in range(LLAMA["layers"]):
        p = f"model.layers.{n}."
        shapes += [(p + "self_attn.q_proj.weight", (h, h)), (p + "self_attn.k_proj.weight", (kv, h)),
                   (p + "self_attn.v_proj.weight", (kv, h)), (p + "self_attn.o_proj.weight", (h, h)),
                   (p + "mlp.gate_proj.weight", (i, h)), (p + "mlp.up_proj.weight", (i, h)),
                   (p + "mlp.down_proj.weight", (h, i)), (p + "input_layernorm.weight", (h,)),
                   (p + "post_attention_layernorm.weight", (h,))]
    return shapes + [("model.norm.weight", (h,)), ("lm_head.weight", (v, h))]


def gpt2_shapes():
    """(name, shape) in GPT2LMHeadModel.state_dict() order, minus lm_head.weight (tied to wte, not saved).
    Conv1D weights are [in, out]."""
    e, v = GPT2["embd"], GPT2["vocab"]
    shapes = [("transformer.wte.weight", (v, e)), ("transformer.wpe.weight", (GPT2["positions"], e))]
    for n in range(GPT2["layers"]):
        p = f"transformer.h.{n}."
        shapes += [(p + "ln_1.weight", (e,)), (p + "ln_1.bias", (e,)),
                   (p + "attn.c_attn.weight", (e, 3 * e)), (p + "attn.c_attn.bias", (3 * e,)),
                   (p + "attn.c_proj.weight", (e, e)), (p + "attn.c_proj.bias", (e,)),
                   (p + "ln_2.weight", (e,)), (p + "ln_2.bias", (e,)),
                   (p + "mlp.c_fc.weight", (e, 4 * e)), (p + "mlp.c_fc.bias", (4 * e,)),
                   (p + "mlp.c_proj.weight", (4 * e, e)), (p + "mlp.c_proj.bias", (e,))]
    return shapes + [("transformer.ln_f.weight", (e,)), ("transformer.ln_f.bias", (e,))]


def random_weights(shapes, seed):
    """float32 weights: matrices N(0, 0.05²), norm scales 1 + N(0, 0.05²), biases N(0, 0.02²)."""
    rng = np.random.default_rng(seed)
    tensors = {}
    for name, shape in shapes:
        if len(shape) == 2:
            values = rng.normal(0.0, 0.05, shape)
        elif name.endswith(".bias"):
            values = rng.normal(0.0, 0.02, shape)
        else:
            values = 1.0 + rng.normal(0.0, 0.05, shape)
        tensors[name] = values.astype(np.float32)
    return tensors


def write_side_files(folder, config):
    os.makedirs(folder, exist_ok=True)
    for file_name, content in (("config.json", config), ("generation_config.json", generation_config()),
                               ("tokenizer_config.json", TOKENIZER_CONFIG)):
        with open(os.path.join(folder, file_name), "w") as f:
            json.dump(content, f, indent=2, sort_keys=True)
            f.write("\n")


def write_models(root):
    """Writes the four model folders; returns {folder: (tensors, description)} (tensors as stored)."""
    shapes = llama_shapes()
    order = [name for name, _ in shapes]
    llama32 = random_weights(shapes, seed=9001)
    models = {}

    folder = os.path.join(root, "llama-f32")
    write_side_files(folder, llama_config("float32"))
    files = write_sharded(folder, llama32, order, 3)
    models["llama-f32"] = (llama32, {"architecture": "LlamaForCausalLM", "dtype": "float32", "files": files})

    llama_bf16 = {name: bf16_from(value) for name, value in llama32.items()}
    folder = os.path.join(root, "llama-bf16")
    write_side_files(folder, llama_config("bfloat16"))
    files = write_sharded(folder, llama_bf16, order, 2)
    models["llama-bf16"] = (llama_bf16, {"architecture": "LlamaForCausalLM", "dtype": "bfloat16", "files": files})

    # float16, one file, plus two tensors that are not float16 weights: an integer buffer and a
    # 0-d float32 scalar (mixed dtypes and non-float tensors must pass through untouched).
    llama_f16 = {name: value.astype(np.float16) for name, value in llama32.items()}
    llama_f16["model.layers.0.self_attn.position_ids_buffer"] = np.arange(16, dtype=np.int64) * 3 - 7
    llama_f16["model.layers.1.self_attn.attention_scale"] = np.array(0.35355339, dtype=np.float32)
    folder = os.path.join(root, "llama-f16")
    write_side_files(folder, llama_config("float16"))
    write_safetensors(os.path.join(folder, "model.safetensors"), llama_f16)
    models["llama-f16"] = (llama_f16, {"architecture": "LlamaForCausalLM", "dtype": "float16",
                                       "files": ["model.safetensors"],
                                       "extra_tensors_not_in_transformers": [
                                           "model.layers.0.self_attn.position_ids_buffer",
                                           "model.layers.1.self_attn.attention_scale"]})

    gpt2 = random_weights(gpt2_shapes(), seed=9002)
    folder = os.path.join(root, "gpt2-f32")
    write_side_files(folder, gpt2_config())
    write_safetensors(os.path.join(folder, "model.safetensors"), gpt2)
    models["gpt2-f32"] = (gpt2, {"architecture": "GPT2LMHeadModel", "dtype": "float32", "files": ["model.safetensors"],
                                 "conv1d_weights_are_in_out": True})
    return models


def float64_of(tensor):
    """Exact float64 widening of a stored tensor (numpy float or BF16)."""
    return tensor.widened() if isinstance(tensor, BF16) else np.asarray(tensor, dtype=np.float64)
