#!/usr/bin/env python3
"""Writes the transformer-model fixtures with numpy + safetensors (no torch, no transformers):
an independent second implementation of the model-folder layout and of PEFT's merge formulas.

    python3 Fixtures/transformers/generate.py Fixtures/transformers      (also run by `make fixtures`)

Deterministic (seeded numpy): the same bytes on every run. Layout:
  llama-f32/    tiny LlamaForCausalLM (hidden 32, intermediate 64, 2 layers, 4 heads, 2 kv heads,
                vocab 128), float32, 3 shards + model.safetensors.index.json
  llama-bf16/   the same weights rounded once to bfloat16 (nearest, ties to even), 2 shards + index
  llama-f16/    the same weights in float16, one model.safetensors, plus an I64 buffer
                (model.layers.0.self_attn.position_ids_buffer [16]) and a 0-d F32 tensor
                (model.layers.1.self_attn.attention_scale): transformers would call these two
                "unexpected keys"; they exist to test pass-through of other dtypes
  gpt2-f32/     tiny GPT2LMHeadModel (n_embd 32, 2 layers, 4 heads, vocab 128, n_positions 64),
                Conv1D weights [in, out], no lm_head.weight (tied to transformer.wte.weight)
  every model folder also has config.json, generation_config.json and a dummy tokenizer_config.json
  PEFT adapter folders (adapter_config.json + adapter_model.safetensors), B random and non-zero:
    llama-lora-all-linear   on llama-f32, target_modules "all-linear" (q,k,v,o,gate,up,down), r 4, alpha 8
    llama-dora              on llama-f32, DoRA on q_proj, v_proj, down_proj, r 4, alpha 8
    llama-rslora-patterns   on llama-f32, rsLoRA r 4 alpha 16 on q,k,v,o_proj,
                            rank_pattern {"model.layers.1.self_attn.q_proj": 8}, alpha_pattern {"o_proj": 4}
    llama-bf16-lora         on llama-bf16, BF16 adapter tensors, q_proj + v_proj
    llama-f16-dora          on llama-f16, DoRA with F16 adapter tensors (A, B and magnitude), gate + up_proj
    gpt2-lora-conv1d        on gpt2-f32, fan_in_fan_out, c_attn + c_proj (attn and mlp) + c_fc
    gpt2-dora-conv1d        on gpt2-f32, DoRA + fan_in_fan_out on c_fc
    llama-lora-wrong-shape, llama-lora-unknown-module   invalid: must be refused naming the module
  expected/<adapter>.safetensors   F64 merged weight of every targeted tensor, under the base
                                   tensor's name and in its layout ([in, out] for Conv1D), computed
                                   in float64 from the stored (widened) base and adapter values
  expected.json    per model: files, tensors (dtype, shape); per adapter: base, method, targets
                   with module, rank, alpha, scaling; per invalid adapter: the module to name
The PEFT semantics followed are in adapters.py's docstring (read from PEFT 0.21.2's source).
peft_transformers_check.py --check-fixtures loads these folders with real transformers + PEFT.
"""
import json
import os
import shutil
import sys
import tempfile

import numpy as np
from safetensors.numpy import load_file

from adapters import write_adapters, write_invalid_adapters
from models import float64_of, write_models
from st_io import as_float64, read_safetensors, self_test

GENERATED = ["llama-f32", "llama-bf16", "llama-f16", "gpt2-f32", "expected", "llama-lora-all-linear", "llama-dora",
             "llama-rslora-patterns", "llama-bf16-lora", "llama-f16-dora", "gpt2-lora-conv1d", "gpt2-dora-conv1d",
             "llama-lora-wrong-shape", "llama-lora-unknown-module"]


def describe_tensors(tensors):
    from st_io import dtype_name
    return {name: {"dtype": dtype_name(value), "shape": list(value.shape)} for name, value in sorted(tensors.items())}


def main(root):
    self_test(tempfile.mkdtemp())
    for name in GENERATED:  # no stale files from an earlier layout
        shutil.rmtree(os.path.join(root, name), ignore_errors=True)
    models = write_models(root)
    adapters = write_adapters(root, models)
    invalid = write_invalid_adapters(root, models)
    expected = {
        "generator": "Fixtures/transformers/generate.py",
        "models": {name: {**info, "tensors": describe_tensors(tensors)} for name, (tensors, info) in models.items()},
        "adapters": adapters,
        "invalid": invalid,
    }
    with open(os.path.join(root, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    check(root, models)


def load_model_folder(folder):
    """Reads a model folder back through its index (or the single file): {name: (dtype, shape, bytes)}."""
    index_path = os.path.join(folder, "model.safetensors.index.json")
    if not os.path.exists(index_path):
        return read_safetensors(os.path.join(folder, "model.safetensors"))[0]
    with open(index_path) as f:
        index = json.load(f)
    tensors = {}
    for file_name in sorted(set(index["weight_map"].values())):
        shard, metadata = read_safetensors(os.path.join(folder, file_name))
        assert metadata == {"format": "pt"}, f"{file_name}: metadata {metadata}"
        assert all(index["weight_map"][n] == file_name for n in shard), f"{file_name}: weight_map disagrees"
        tensors.update(shard)
    assert set(tensors) == set(index["weight_map"]), f"{folder}: index and shards name different tensors"
    total = sum(len(data) for _, _, data in tensors.values())
    assert index["metadata"]["total_size"] == total, f"{folder}: total_size {index['metadata']['total_size']} != {total}"
    return tensors


def check(root, models):
    """Independent read-back of everything written."""
    with open(os.path.join(root, "expected.json")) as f:
        expected = json.load(f)
    for name, (tensors, _) in models.items():
        stored = load_model_folder(os.path.join(root, name))
        assert set(stored) == set(tensors), f"{name}: tensor names differ"
        for tensor_name, (dtype, shape, data) in stored.items():
            assert [dtype, shape] == [expected["models"][name]["tensors"][tensor_name][k] for k in ("dtype", "shape")]
            if dtype in ("F32", "F16", "BF16"):
                assert np.array_equal(as_float64(dtype, shape, data), float64_of(tensors[tensor_name]))
        if models[name][1]["dtype"] != "bfloat16":  # the reference reader, where numpy has the dtype
            reference = {}
            for file_name in models[name][1]["files"]:
                reference.update(load_file(os.path.join(root, name, file_name)))
            assert all(np.array_equal(reference[n], tensors[n]) for n in tensors), f"{name}: reference read differs"
    for name, adapter in expected["adapters"].items():
        base = load_model_folder(os.path.join(root, adapter["base"]))
        merged, _ = read_safetensors(os.path.join(root, adapter["expected"]))
        assert set(merged) == set(adapter["targets"]), f"{name}: expected file and targets differ"
        peft, metadata = read_safetensors(os.path.join(root, name, "adapter_model.safetensors"))
        assert metadata == {"format": "pt"}
        dtype_of_adapter = {entry[0] for entry in peft.values()}
        assert dtype_of_adapter == {adapter["adapter_dtype"]}, f"{name}: adapter dtypes {dtype_of_adapter}"
        roles = 3 if adapter["method"] == "dora" else 2
        assert len(peft) == roles * len(adapter["targets"]), f"{name}: {len(peft)} adapter tensors"
        for tensor_name, target in adapter["targets"].items():
            dtype, shape, data = merged[tensor_name]
            assert dtype == "F64" and shape == base[tensor_name][1], f"{name}: {tensor_name} expected {dtype} {shape}"
            w = as_float64(*base[tensor_name])
            change = np.linalg.norm(as_float64(dtype, shape, data) - w) / np.linalg.norm(w)
            assert 0.005 < change < 0.15, f"{name}: {tensor_name} changes by {change:.3f} of ||W||"
            a = peft[f"base_model.model.{target['module']}.lora_A.weight"]
            assert a[1][0] == target["rank"], f"{name}: {tensor_name} rank {a[1][0]} != {target['rank']}"
    print(f"wrote and read back {len(models)} models, {len(expected['adapters'])} adapters, "
          f"{len(expected['invalid'])} invalid adapters in {root}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
