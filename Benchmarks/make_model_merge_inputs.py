#!/usr/bin/env python3
"""Writes the model-merge benchmark's inputs with numpy + safetensors, independently of adaptool:
a Llama-shaped float16 Hugging Face model folder (TinyLlama's sizes: hidden 2048, intermediate 5632,
32 heads, 4 key/value heads, vocab 32000; 20 layers ≈ 2 GB) in 3 shards with
model.safetensors.index.json and config.json, and a PEFT LoRA folder of rank 16 on every linear
layer (q, k, v, o, gate, up, down_proj), float32 as PEFT keeps adapters.

Shards are streamed tensor by tensor (the header is known from the shapes), so generating needs
about one tensor of memory. Prints the largest tensor's byte count.

usage: make_model_merge_inputs.py OUT_DIR [--layers 20] [--rank 16]
"""
import argparse
import json
import os
import struct

import numpy as np
from safetensors.numpy import save_file

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--layers", type=int, default=20)
p.add_argument("--rank", type=int, default=16)
args = p.parse_args()
H, I, V, HEADS, KV = 2048, 5632, 32000, 32, 4
KV_DIM = KV * (H // HEADS)
SHARDS = 3
rng = np.random.default_rng(0)

shapes = [("model.embed_tokens.weight", (V, H))]
for n in range(args.layers):
    p_ = f"model.layers.{n}."
    shapes += [(p_ + "self_attn.q_proj.weight", (H, H)), (p_ + "self_attn.k_proj.weight", (KV_DIM, H)),
               (p_ + "self_attn.v_proj.weight", (KV_DIM, H)), (p_ + "self_attn.o_proj.weight", (H, H)),
               (p_ + "mlp.gate_proj.weight", (I, H)), (p_ + "mlp.up_proj.weight", (I, H)),
               (p_ + "mlp.down_proj.weight", (H, I)), (p_ + "input_layernorm.weight", (H,)),
               (p_ + "post_attention_layernorm.weight", (H,))]
shapes += [("model.norm.weight", (H,)), ("lm_head.weight", (V, H))]


def nbytes(shape):
    return int(np.prod(shape)) * 2


# Cut the state dict into 3 shards of about equal size, in order.
total = sum(nbytes(s) for _, s in shapes)
shards, current, size = [], [], 0
for name, shape in shapes:
    if current and size + nbytes(shape) > total / SHARDS * (len(shards) + 1) and len(shards) < SHARDS - 1:
        shards.append(current)
        current = []
    current.append((name, shape))
    size += nbytes(shape)
shards.append(current)

model = os.path.join(args.out, "model")
os.makedirs(model, exist_ok=True)
weight_map = {}
for index, tensors in enumerate(shards):
    file_name = f"model-{index + 1:05d}-of-{len(shards):05d}.safetensors"
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, shape in tensors:
        header[name] = {"dtype": "F16", "shape": list(shape), "data_offsets": [offset, offset + nbytes(shape)]}
        offset += nbytes(shape)
        weight_map[name] = file_name
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(os.path.join(model, file_name), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for name, shape in tensors:
            scale = 1.0 if name.endswith("norm.weight") else 0.02
            values = rng.standard_normal(int(np.prod(shape)), dtype=np.float32) * scale
            f.write(values.astype("<f2").tobytes())
with open(os.path.join(model, "model.safetensors.index.json"), "w") as f:
    json.dump({"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}, f, indent=2)
config = {"architectures": ["LlamaForCausalLM"], "hidden_size": H, "intermediate_size": I, "model_type": "llama",
          "num_attention_heads": HEADS, "num_hidden_layers": args.layers, "num_key_value_heads": KV,
          "vocab_size": V, "torch_dtype": "float16", "rms_norm_eps": 1e-5, "tie_word_embeddings": False}
with open(os.path.join(model, "config.json"), "w") as f:
    json.dump(config, f, indent=2)

# PEFT LoRA on every linear layer; B non-zero so every targeted tensor changes.
modules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
adapter = {}
for name, shape in shapes:
    module = name[:-len(".weight")]
    if module.split(".")[-1] in modules:
        out, inputs = shape
        adapter[f"base_model.model.{module}.lora_A.weight"] = rng.standard_normal((args.rank, inputs), dtype=np.float32) * 0.01
        adapter[f"base_model.model.{module}.lora_B.weight"] = rng.standard_normal((out, args.rank), dtype=np.float32) * 0.01
peft = os.path.join(args.out, "lora")
os.makedirs(peft, exist_ok=True)
save_file(adapter, os.path.join(peft, "adapter_model.safetensors"), metadata={"format": "pt"})
with open(os.path.join(peft, "adapter_config.json"), "w") as f:
    json.dump({"peft_type": "LORA", "r": args.rank, "lora_alpha": 2 * args.rank, "target_modules": modules,
               "use_dora": False, "use_rslora": False, "fan_in_fan_out": False, "bias": "none",
               "task_type": "CAUSAL_LM", "base_model_name_or_path": None}, f, indent=2)
print(max(nbytes(s) for _, s in shapes))
