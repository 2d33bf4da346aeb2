#!/usr/bin/env python3
"""Writes the interop benchmark's model: one .safetensors file of about 1 GiB of realistic tensors,
independently of adaptool (the header is written by hand, as bfloat16 has no numpy dtype).

Llama-shaped (hidden 1024, intermediate 2816, 16 heads, 4 key/value heads, vocab 32000): a float32
embedding, 39 decoder layers of q/k/v/o/gate/up/down projections (bfloat16 in even layers, float16
in odd ones) with float32 norm weights and small float32 biases on q/k/v, a final norm and a
bfloat16 lm_head (1.003 GiB): 471 tensors, a few hundred of them small. Streamed tensor by tensor (about one
tensor of memory). Prints the largest tensor's byte count.

usage: make_interop_model.py OUT.safetensors [--layers 39]
"""
import argparse
import json
import struct

import numpy as np

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--layers", type=int, default=39)
args = p.parse_args()
H, I, V, HEADS, KV = 1024, 2816, 32000, 16, 4
KV_DIM = KV * (H // HEADS)
WIDTH = {"F32": 4, "F16": 2, "BF16": 2}

tensors = [("model.embed_tokens.weight", "F32", (V, H))]
for n in range(args.layers):
    prefix, dtype = f"model.layers.{n}.", ("BF16" if n % 2 == 0 else "F16")
    tensors += [(prefix + "self_attn.q_proj.weight", dtype, (H, H)), (prefix + "self_attn.q_proj.bias", "F32", (H,)),
                (prefix + "self_attn.k_proj.weight", dtype, (KV_DIM, H)), (prefix + "self_attn.k_proj.bias", "F32", (KV_DIM,)),
                (prefix + "self_attn.v_proj.weight", dtype, (KV_DIM, H)), (prefix + "self_attn.v_proj.bias", "F32", (KV_DIM,)),
                (prefix + "self_attn.o_proj.weight", dtype, (H, H)),
                (prefix + "mlp.gate_proj.weight", dtype, (I, H)), (prefix + "mlp.up_proj.weight", dtype, (I, H)),
                (prefix + "mlp.down_proj.weight", dtype, (H, I)),
                (prefix + "input_layernorm.weight", "F32", (H,)), (prefix + "post_attention_layernorm.weight", "F32", (H,))]
tensors += [("model.norm.weight", "F32", (H,)), ("lm_head.weight", "BF16", (V, H))]

header, offset = {"__metadata__": {"format": "pt"}}, 0
for name, dtype, shape in tensors:
    size = int(np.prod(shape)) * WIDTH[dtype]
    header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + size]}
    offset += size
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * ((8 - len(text) % 8) % 8)

rng = np.random.default_rng(0)
largest = 0
with open(args.out, "wb") as out:
    out.write(struct.pack("<Q", len(text)) + text)
    for name, dtype, shape in tensors:
        values = (rng.standard_normal(shape, dtype=np.float32) * 0.02).astype(np.float32)
        if dtype == "F16":
            data = values.astype(np.float16).tobytes()
        elif dtype == "BF16":
            data = (values.view(np.uint32) >> 16).astype(np.uint16).tobytes()
        else:
            data = values.tobytes()
        largest = max(largest, len(data))
        out.write(data)
print(largest)
