#!/usr/bin/env python3
"""Opt-in check of adaptool against real transformers + PEFT on tiny transformer models.

Needs torch, transformers, peft, safetensors, numpy (e.g. a venv: python3 -m venv V &&
V/bin/pip install torch peft transformers safetensors numpy h5py). Nothing is downloaded:
models are built from a config with a seeded torch.

    $PEFT_PYTHON Fixtures/transformers/peft_transformers_check.py --adaptool .build/debug/adaptool \
        --workdir /tmp/peft-check --case all
    $PEFT_PYTHON Fixtures/transformers/peft_transformers_check.py --check-fixtures

Per case: a tiny LlamaForCausalLM (float32 in 3 shards, bfloat16 in 2 shards, float16 in one
file) or GPT2LMHeadModel is saved with save_pretrained; get_peft_model wraps it (LoRA all-linear,
DoRA, rsLoRA + rank/alpha patterns, GPT-2 Conv1D with fan_in_fan_out); lora_B and the DoRA magnitudes are
set to random non-zero values; the adapter is saved with save_pretrained. References: PEFT's
merge_and_unload() in the model's dtype, and PEFT's merge in float64 rounded once to the model's
dtype. Then adaptool runs
    merge MODEL PEFT -o direct/                                    (the direct form)
    import MODEL -o base.h5; import PEFT --base base.h5 -o adapter.h5;
    merge base.h5 adapter.h5 -o merged.h5; export merged.h5 -o exported/
    export base.h5 -o roundtrip/                                   (must give the model back byte for byte)
and each output folder must: load with AutoModelForCausalLM.from_pretrained with no missing,
unexpected or mismatched keys, in the model's dtype; copy config.json and generation_config.json
byte for byte (direct/ must also keep the input's shard files and index; exported/ reports its
layout); keep every untouched tensor byte for byte; hold merged weights
within 1e-5 relative of merge_and_unload (float32) or equal to the float64 merge rounded once
(bfloat16, float16: at most 1 ulp apart on at most 0.1 % of elements); give the logits of the reference.
One PASS/FAIL/SKIP line per case; exit status 1 on any FAIL. Without --adaptool only the PEFT side
runs (SKIP lines say so). `--adaptool reference_adaptool.py` (a PEFT-based stand-in, run with this
Python) tests this checker itself.

--check-fixtures instead loads the committed numpy fixtures (generate.py) with transformers and
PEFT and checks that PEFT wraps exactly the listed targets and that PEFT's float64 merge equals
expected/<adapter>.safetensors (to 1e-12), i.e. that generate.py follows PEFT's semantics.
"""
import argparse
import copy
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import torch
from peft import LoraConfig, PeftModel, get_peft_model
from safetensors import safe_open
from transformers import AutoModelForCausalLM, GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from st_io import bf16_from  # noqa: E402  (rounds float64 to bfloat16 once)

F32_RELATIVE = 1e-5       # the bound for float32 results against merge_and_unload
ULP_FRACTION = 0.001      # at most 0.1 % of bfloat16 elements may be 1 ulp from the rounded-once merge
LOGIT_RELATIVE = {torch.float32: 1e-4, torch.float16: 1e-2, torch.bfloat16: 2e-2}  # relative to the largest |logit|
SIDE_FILES = ("config.json", "generation_config.json")

LLAMA = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
             vocab_size=128, max_position_embeddings=64, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)
GPT2 = dict(n_embd=32, n_layer=2, n_head=4, vocab_size=128, n_positions=64, bos_token_id=1, eos_token_id=2)

CASES = {
    "llama-f32-lora-all-linear": ("llama", torch.float32, dict(r=4, lora_alpha=8, target_modules="all-linear")),
    "llama-f32-dora": ("llama", torch.float32, dict(r=4, lora_alpha=8, use_dora=True,
                                                    target_modules=["q_proj", "v_proj", "down_proj"])),
    "llama-f32-rslora-patterns": ("llama", torch.float32, dict(
        r=4, lora_alpha=16, use_rslora=True, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"],
        rank_pattern={"model.layers.1.self_attn.q_proj": 8}, alpha_pattern={"o_proj": 4})),
    "llama-bf16-lora": ("llama", torch.bfloat16, dict(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"])),
    "llama-bf16-dora": ("llama", torch.bfloat16, dict(r=4, lora_alpha=8, use_dora=True,
                                                      target_modules=["o_proj", "up_proj"])),
    "llama-f16-dora": ("llama", torch.float16, dict(r=4, lora_alpha=8, use_dora=True,
                                                    target_modules=["gate_proj", "up_proj"])),
    "gpt2-lora-conv1d": ("gpt2", torch.float32, dict(r=4, lora_alpha=8, fan_in_fan_out=True,
                                                     target_modules=["c_attn", "c_proj", "c_fc"])),
    "gpt2-dora-conv1d": ("gpt2", torch.float32, dict(r=4, lora_alpha=8, use_dora=True, fan_in_fan_out=True,
                                                     target_modules=["c_fc"])),
}


class CaseFailure(Exception):
    pass


def build_model(kind, dtype, folder):
    """A seeded tiny model, saved like a Hub checkpoint (f32 Llama: 3 shards, bf16 Llama: 2, others: 1 file)."""
    torch.manual_seed(1234)
    model = LlamaForCausalLM(LlamaConfig(**LLAMA)) if kind == "llama" else GPT2LMHeadModel(GPT2Config(**GPT2))
    with torch.no_grad():  # non-trivial norms/biases and larger weights than the 0.02 init
        for name, p in model.named_parameters():
            p.copy_(1 + 0.05 * torch.randn_like(p) if p.dim() == 1 and not name.endswith("bias")
                    else 0.05 * torch.randn_like(p))
    model = model.to(dtype).eval()
    shard = {("llama", torch.float32): "40KB", ("llama", torch.bfloat16): "30KB"}.get((kind, dtype), "10GB")
    model.save_pretrained(folder, max_shard_size=shard)
    return model


def build_adapter(model, options, folder):
    """get_peft_model + random non-zero B (and perturbed magnitudes), saved with save_pretrained."""
    peft_model = get_peft_model(copy.deepcopy(model), LoraConfig(task_type="CAUSAL_LM", **options))
    generator = torch.Generator().manual_seed(99)
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.copy_(0.01 * torch.randn(p.shape, generator=generator))
            elif "lora_magnitude_vector" in name:
                p.mul_(0.95 + 0.1 * torch.rand(p.shape, generator=generator))
    peft_model.save_pretrained(folder)
    return peft_model.eval()


def float64_reference(model_dir, adapter_dir):
    """PEFT's own merge, done in float64 from the saved files (exact widening of every input)."""
    base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float64)
    merged = PeftModel.from_pretrained(base, adapter_dir, autocast_adapter_dtype=False).to(torch.float64)
    return {k: v.detach() for k, v in merged.merge_and_unload().state_dict().items()}


def round_once(values, dtype):
    if dtype == torch.bfloat16:
        bits = bf16_from(values.numpy()).bits.astype(np.int16)
        return torch.from_numpy(bits).view(torch.bfloat16)
    if dtype == torch.float16:  # numpy narrows float64 → float16 directly; torch goes through float32
        return torch.from_numpy(values.numpy().astype(np.float16))
    return values.to(dtype)  # float64 → float32 is one rounding


def read_folder(folder):
    """{name: tensor} over model.safetensors or the shards named by the index."""
    index = os.path.join(folder, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    tensors = {}
    for file_name in files:
        with safe_open(os.path.join(folder, file_name), framework="pt") as f:
            tensors.update({k: f.get_tensor(k) for k in f.keys()})
    return tensors


def same_bytes(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a.contiguous().view(torch.uint8),
                                                                     b.contiguous().view(torch.uint8))


def ulp_distance(a, b):
    """Element-wise distance in units in the last place between two bfloat16/float32 tensors."""
    as_int = {torch.bfloat16: torch.int16, torch.float32: torch.int32, torch.float16: torch.int16}[a.dtype]

    def ordered(t):
        i = t.contiguous().view(as_int).to(torch.int64)
        return torch.where(i < 0, -(i & ((1 << (8 * t.element_size() - 1)) - 1)), i)
    return (ordered(a) - ordered(b)).abs()


def logits(model, vocab):
    ids = (torch.arange(24) * 37 % vocab)[None]
    with torch.no_grad():
        return model(input_ids=ids).logits.double()


def check_output(label, out_dir, model_dir, base, targets, peft_merged, reference, dtype, ref_logits, vocab):
    """Every property an output folder must have; raises CaseFailure naming the first broken one."""
    files = lambda d: sorted(f for f in os.listdir(d) if f.endswith((".safetensors", ".json")))
    layout = "same files as the input" if files(out_dir) == files(model_dir) else f"files {files(out_dir)}"
    if label == "direct" and files(out_dir) != files(model_dir):  # the direct merge must shard like its input
        raise CaseFailure(f"{label}: {layout}, the input has {files(model_dir)}")
    for side in SIDE_FILES:
        if open(os.path.join(out_dir, side), "rb").read() != open(os.path.join(model_dir, side), "rb").read():
            raise CaseFailure(f"{label}: {side} differs from the input's")
    loaded, info = AutoModelForCausalLM.from_pretrained(out_dir, output_loading_info=True)
    problems = {k: v for k, v in info.items() if v}
    if problems or loaded.dtype != dtype:
        raise CaseFailure(f"{label}: from_pretrained reports {problems}, dtype {loaded.dtype}")
    ours = read_folder(out_dir)
    if set(ours) != set(base):
        raise CaseFailure(f"{label}: tensor names differ: {sorted(set(ours) ^ set(base))[:4]}")
    for name, tensor in base.items():
        if name not in targets and not same_bytes(ours[name], tensor):
            raise CaseFailure(f"{label}: untouched tensor {name} changed")
    notes = []
    for name in targets:
        got = ours[name]
        if got.dtype != dtype or got.shape != base[name].shape:
            raise CaseFailure(f"{label}: {name} is {got.dtype} {list(got.shape)}")
        far = int((ulp_distance(got, reference[name]) > 0).sum())
        if dtype == torch.float32:
            want = peft_merged[name].double()
            relative = float((got.double() - want).abs().max() / want.abs().max())
            if relative > F32_RELATIVE:
                raise CaseFailure(f"{label}: {name} differs from merge_and_unload by {relative:.2e} relative")
        elif int(ulp_distance(got, reference[name]).max()) > 1 or far > ULP_FRACTION * got.numel():
            raise CaseFailure(f"{label}: {name}: {far} of {got.numel()} elements differ from the rounded-once merge")
        notes.append(far)
    got_logits = logits(loaded.eval(), vocab)
    spread = float((got_logits - ref_logits).abs().max() / ref_logits.abs().max())
    if spread > LOGIT_RELATIVE[dtype]:
        raise CaseFailure(f"{label}: logits differ by {spread:.2e} relative")
    return f"{label}: {layout}, {sum(notes)} elements off the rounded-once merge, logits {spread:.1e}"


def run_cli(binary, *args):
    command = [sys.executable, binary] if binary.endswith(".py") else [binary]  # reference_adaptool.py
    result = subprocess.run([*command, *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise CaseFailure(f"adaptool {' '.join(args[:1])} exited {result.returncode}: {result.stderr.strip()[:300]}")


def run_case(name, binary, workdir):
    kind, dtype, options = CASES[name]
    case_dir = os.path.join(workdir, name)
    shutil.rmtree(case_dir, ignore_errors=True)
    p = lambda *parts: os.path.join(case_dir, *parts)
    model = build_model(kind, dtype, p("model"))
    peft_model = build_adapter(model, options, p("adapter"))
    targets = {n[:-len(".base_layer.weight")].removeprefix("base_model.model.") + ".weight"
               for n, _ in peft_model.named_parameters() if n.endswith(".base_layer.weight")}
    peft_merged = {k: v.detach() for k, v in copy.deepcopy(peft_model).merge_and_unload().state_dict().items()}
    reference64 = float64_reference(p("model"), p("adapter"))
    reference = {n: round_once(reference64[n], dtype) for n in targets}
    reference_model = AutoModelForCausalLM.from_pretrained(p("model")).eval()
    reference_model.load_state_dict({**reference_model.state_dict(), **reference}, strict=True)
    ref_logits = logits(reference_model, model.config.vocab_size)
    drift = max(int((ulp_distance(peft_merged[n].to(dtype), reference[n]) > 0).sum()) for n in targets)
    side = f"{len(targets)} targets; PEFT merge_and_unload is off the rounded-once merge on up to {drift} elements/tensor"
    if binary is None:
        return "SKIP", f"{name}: PEFT side built ({side}); our CLI steps skipped: no --adaptool given"
    base = read_folder(p("model"))
    run_cli(binary, "merge", p("model"), p("adapter"), "-o", p("direct"))
    run_cli(binary, "import", p("model"), "-o", p("base.h5"))
    run_cli(binary, "import", p("adapter"), "--base", p("base.h5"), "-o", p("adapter.h5"))
    run_cli(binary, "merge", p("base.h5"), p("adapter.h5"), "-o", p("merged.h5"))
    run_cli(binary, "export", p("merged.h5"), "-o", p("exported"))
    run_cli(binary, "export", p("base.h5"), "-o", p("roundtrip"))
    notes = [check_output(label, p(label), p("model"), base, targets, peft_merged, reference, dtype, ref_logits,
                          model.config.vocab_size) for label in ("direct", "exported")]
    roundtrip = read_folder(p("roundtrip"))
    if set(roundtrip) != set(base) or not all(same_bytes(roundtrip[n], t) for n, t in base.items()):
        raise CaseFailure("roundtrip: import → export does not give every tensor back byte for byte")
    return "PASS", f"{name}: {side}; " + "; ".join(notes)


def check_fixtures():
    """The committed numpy fixtures against real transformers + PEFT (float64)."""
    with open(os.path.join(HERE, "expected.json")) as f:
        expected = json.load(f)
    failures = 0
    for name, info in expected["models"].items():
        _, loading = AutoModelForCausalLM.from_pretrained(os.path.join(HERE, name), output_loading_info=True)
        problems = {k: sorted(v) for k, v in loading.items() if v}
        allowed = {"unexpected_keys": sorted(info.get("extra_tensors_not_in_transformers", []))}
        ok = problems == ({} if not allowed["unexpected_keys"] else allowed)
        failures += not ok
        print(f"{'PASS' if ok else 'FAIL'} fixture model {name}: from_pretrained reports {problems or 'nothing'}")
    for name, adapter in expected["adapters"].items():
        base = AutoModelForCausalLM.from_pretrained(os.path.join(HERE, adapter["base"]), dtype=torch.float64)
        wrapped = PeftModel.from_pretrained(base, os.path.join(HERE, name), autocast_adapter_dtype=False)
        wrapped_targets = {n.removeprefix("base_model.model.")[:-len(".base_layer.weight")] + ".weight"
                           for n, _ in wrapped.named_parameters() if n.endswith(".base_layer.weight")}
        merged = wrapped.to(torch.float64).merge_and_unload().state_dict()
        with safe_open(os.path.join(HERE, adapter["expected"]), framework="pt") as f:
            worst = max(float((merged[k] - f.get_tensor(k)).abs().max() / f.get_tensor(k).abs().max()) for k in f.keys())
        ok = wrapped_targets == set(adapter["targets"]) and worst < 1e-12
        failures += not ok
        print(f"{'PASS' if ok else 'FAIL'} fixture adapter {name}: PEFT wraps {len(wrapped_targets)} modules "
              f"(expected.json lists {len(adapter['targets'])}), float64 merge vs expected {worst:.1e}")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--adaptool", help="the adaptool binary; without it only the PEFT side runs")
    parser.add_argument("--workdir", default="/tmp/adaptool-peft-transformers-check")
    parser.add_argument("--case", default="all", help="|".join(["all", *CASES]))
    parser.add_argument("--check-fixtures", action="store_true", help="check the committed fixtures against PEFT")
    args = parser.parse_args()
    if args.check_fixtures:
        sys.exit(1 if check_fixtures() else 0)
    if args.case != "all" and args.case not in CASES:
        parser.error(f"unknown case {args.case!r}; known: {', '.join(CASES)}")
    binary = os.path.abspath(args.adaptool) if args.adaptool else None
    if binary is not None and not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        parser.error(f"--adaptool {args.adaptool}: not an executable file")
    failed = False
    for name in CASES if args.case == "all" else [args.case]:
        try:
            status, message = run_case(name, binary, args.workdir)
        except CaseFailure as failure:
            status, message = "FAIL", f"{name}: {failure}"
        failed |= status == "FAIL"
        print(f"{status} {message}", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
