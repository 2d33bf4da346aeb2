#!/usr/bin/env bash
# The direct merge on a transformer: adaptool merge MODEL_DIR PEFT_DIR -o OUT_DIR of a ~2 GB float16
# Llama-shaped model in 3 shards with a rank-16 LoRA on every linear layer, next to cp -r of the
# same folder in the same run (and PEFT's load + merge_and_unload + save when torch, transformers
# and peft are installed).
# Targets (issue 9): merge wall time within 2× cp -r; peak RSS under 3× the largest tensor + 200 MB.
# Env: ADAPTOOL_BIN (release binary), BENCH_DIR (scratch), MODEL_MERGE_LAYERS to shrink the model
# (20 layers ≈ 2 GB), PEFT_PYTHON (a Python with torch + transformers + peft, optional).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${ADAPTOOL_BIN:-$PWD/.build/release/adaptool}"
DIR="${BENCH_DIR:-$PWD/out/bench}"
LAYERS="${MODEL_MERGE_LAYERS:-20}"
RANK=16
mkdir -p "$DIR"
[ -x "$BIN" ] || { echo "bench-model-merge: $BIN not found; run make release" >&2; exit 2; }

INPUTS="$DIR/model-merge"
STAMP="$INPUTS/inputs.$LAYERS.$RANK"
if [ ! -e "$STAMP" ]; then
  echo "generating a $LAYERS-layer float16 Llama-shaped model and a rank-$RANK LoRA with numpy + safetensors…" >&2
  rm -rf "$INPUTS"
  mkdir -p "$INPUTS"
  python3 Benchmarks/make_model_merge_inputs.py "$INPUTS" --layers "$LAYERS" --rank "$RANK" > "$INPUTS/largest.txt"
  touch "$STAMP"
fi
MODEL="$INPUTS/model"
LARGEST=$(cat "$INPUTS/largest.txt")
OUT="$DIR/model-merge-out"

# shellcheck source=Benchmarks/lib/measure.sh
source Benchmarks/lib/measure.sh

results=()
results+=("$(measure cp-r cp -r "$MODEL" "$OUT")")
results+=("$(measure merge-lora "$BIN" merge "$MODEL" "$INPUTS/lora" -o "$OUT")")
PEFT_PY="${PEFT_PYTHON:-python3}"
if "$PEFT_PY" -c "import torch, transformers, peft" >/dev/null 2>&1; then
  results+=("$(measure peft "$PEFT_PY" -c "
import sys, torch
from transformers import AutoModelForCausalLM
from peft import PeftModel
model = AutoModelForCausalLM.from_pretrained(sys.argv[1], torch_dtype=torch.float16)
PeftModel.from_pretrained(model, sys.argv[2]).merge_and_unload().save_pretrained(sys.argv[3])
" "$MODEL" "$INPUTS/lora" "$OUT")")
else
  echo "(PEFT peer skipped: set PEFT_PYTHON to a Python with torch, transformers and peft)" >&2
fi
rm -f "$DIR/time.txt" "$DIR/stderr.txt"

cp_time=$(echo "${results[0]}" | awk '{ print $2 }')
size_mb=$(du -sm "$MODEL" | awk '{ print $1 }')
budget_kb=$(( (3 * LARGEST + 200 * 1048576) / 1024 ))
printf "model: %s (%s MB float16, %d layers, 3 shards; largest tensor %.0f MB), LoRA rank %d on every linear layer\n" \
  "$MODEL" "$size_mb" "$LAYERS" "$(echo "$LARGEST / 1048576" | bc -l)" "$RANK"
printf "%-12s %10s %10s %14s %18s\n" operation "wall s" "× cp -r" "peak RSS MB" "RSS / budget"
printf "%-12s %10s %10s %14s %18s\n" ------------ ---------- ---------- -------------- ------------------
json="["
for line in "${results[@]}"; do
  read -r label wall kb <<<"$line"
  ratio=$(echo "$wall / $cp_time" | bc -l)
  of_budget=$(echo "$kb / $budget_kb" | bc -l)
  printf "%-12s %10.2f %10.2f %14.0f %18.2f\n" "$label" "$wall" "$ratio" "$(echo "$kb / 1024" | bc -l)" "$of_budget"
  json+=$(printf '{"operation":"%s","wall_s":%s,"ratio_to_cp":%.3f,"peak_rss_kb":%s,"rss_of_budget":%.3f},' "$label" "$wall" "$ratio" "$kb" "$of_budget")
done
printf "targets: merge-lora ≤ 2.00 × cp -r; peak RSS < budget = 3 × largest tensor + 200 MB = %.0f MB\n" "$(echo "$budget_kb / 1024" | bc -l)"
echo "json: ${json%,}]"
