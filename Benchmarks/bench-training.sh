#!/usr/bin/env bash
# Training and evaluation throughput of adaptool next to the PyTorch peer (../shared/peers/seed_reference.py),
# plus the peak memory of a full training run. Figures are printed, never asserted.
# Env: ADAPTOOL_BIN (release binary), BENCH_DIR (scratch), CIFAR10_DIR (data; else the shared full copy; else synthetic),
#      BENCH_EPOCHS (adapter epochs measured, default 2: samples/s is per epoch), PEER_PYTHON (a python with torch;
#      default python3; without torch the peer rows say n/a or quote figures).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${ADAPTOOL_BIN:-$PWD/.build/release/adaptool}"
DIR="${BENCH_DIR:-$PWD/out/bench}/training"
EPOCHS="${BENCH_EPOCHS:-2}"
mkdir -p "$DIR"

DATA="${CIFAR10_DIR:-}"
[ -n "$DATA" ] && [ -d "$DATA" ] || DATA=../shared/data/cifar-10-batches-bin-jpeg-approx
if [ -d "$DATA" ]; then DATA_ARGS=(--data "$DATA"); else DATA_ARGS=(--synthetic); DATA="synthetic (no CIFAR-10 found)"; fi
echo "data: $DATA; threads: $(nproc) cores"

rate() {  # stdout of a train job: "… E epochs of N images in S s …" → N·E/S
  sed -n 's/.* \([0-9]*\) epochs of \([0-9]*\) images in \([0-9.]*\) s.*/\1 \2 \3/p' "$1" | awk '{ printf "%.0f", $1 * $2 / $3 }'
}

PEAK="n/a"
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f "%M" -o "$DIR/base.rss" "$BIN" train base "${DATA_ARGS[@]}" --epochs 2 --quiet --force -o "$DIR/base.h5" --metrics "$DIR/base.csv" > "$DIR/base.txt"
  PEAK=$(awk '{ printf "%.0f MB", $1 / 1024 }' "$DIR/base.rss")
else
  "$BIN" train base "${DATA_ARGS[@]}" --epochs 2 --quiet --force -o "$DIR/base.h5" --metrics "$DIR/base.csv" > "$DIR/base.txt"
fi
"$BIN" train lora --base "$DIR/base.h5" "${DATA_ARGS[@]}" --epochs "$EPOCHS" --quiet --force -o "$DIR/lora.h5" --metrics "$DIR/lora.csv" > "$DIR/lora.txt"
"$BIN" train dora --base "$DIR/base.h5" "${DATA_ARGS[@]}" --norm-axis input --epochs "$EPOCHS" --quiet --force -o "$DIR/dora.h5" --metrics "$DIR/dora.csv" > "$DIR/dora.txt"
"$BIN" train dora --base "$DIR/base.h5" "${DATA_ARGS[@]}" --norm-axis input --detach-norm --epochs "$EPOCHS" --quiet --force -o "$DIR/dora-detach.h5" --metrics "$DIR/dora-detach.csv" > "$DIR/dora-detach.txt"
"$BIN" eval "$DIR/base.h5" --adapter "$DIR/dora.h5" --compare-merged "${DATA_ARGS[@]}" > "$DIR/eval.txt"
us() { sed -n "s/^time per image: .*$1 \([0-9.]*\) µs.*/\1/p" "$DIR/eval.txt"; }

# The PyTorch peer: measured when torch is importable, else the figures from ../shared/peers/README.md.
PEER_PY="${PEER_PYTHON:-python3}"
if [ -f ../shared/peers/seed_reference.py ] && "$PEER_PY" -c "import torch" 2>/dev/null; then
  "$PEER_PY" ../shared/peers/seed_reference.py "$DATA" --threads "$(nproc)" > "$DIR/peer.jsonl"
  peer_s() { sed -n "s/.*\"phase\": \"$1\".*\"train_s\": \([0-9.]*\).*/\1/p" "$DIR/peer.jsonl"; }
  PEER_BASE=$(peer_s base); PEER_LORA=$(peer_s lora); PEER_DORA=$(peer_s dora); PEER_NOTE="peer: measured in this run"
  # Inference of the same MLP (and the seed's DoRA, unmerged) at eval's batch of 500.
  "$PEER_PY" Benchmarks/peer_eval.py "$DATA" --threads "$(nproc)" > "$DIR/peer-eval.json" || echo "eval peer: Benchmarks/peer_eval.py failed (see above)"
  PEER_EVAL_BASE=$(sed -n 's/.*"base": \([0-9]*\).*/\1/p' "$DIR/peer-eval.json")
  PEER_EVAL_DORA=$(sed -n 's/.*"dora_unmerged": \([0-9]*\).*/\1/p' "$DIR/peer-eval.json")
else
  echo "peer: torch not installed (the +cpu wheel's index is unreachable here; plain PyPI torch pulls several GB of CUDA wheels)"
  PEER_BASE=4.3; PEER_LORA=26.6; PEER_DORA=44.4
  PEER_EVAL_BASE=""; PEER_EVAL_DORA=""  # not quoted anywhere: left empty without torch
  PEER_NOTE="peer figures QUOTED from ../shared/peers/README.md and issue #4 (PyTorch 2.13, 2 cores, 50k JPEG-approx images), NOT measured in this run"
fi
PEER_N=50000
peer_rate() { awk -v n="$PEER_N" -v e="$1" -v s="$2" 'BEGIN { printf "%.0f", n * e / s }'; }
pb=$(peer_rate 2 "$PEER_BASE"); pl=$(peer_rate 10 "$PEER_LORA"); pd=$(peer_rate 10 "$PEER_DORA")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a / b }'; }

best() { awk -F, 'NR > 1 && $5 > best { best = $5 } END { printf "%.0f", best }' "$1"; }  # fastest epoch (least disturbed by other load)
ab=$(rate "$DIR/base.txt"); al=$(rate "$DIR/lora.txt"); ad=$(rate "$DIR/dora.txt"); add=$(rate "$DIR/dora-detach.txt")
echo
row() { printf "%-34s %14s %11s %14s %8s %11s %7s\n" "$@"; }
row "job" "adaptool img/s" "best epoch" "peer img/s" "ratio" "best ratio" "target"
row "train base (3072-128-256-10)" "$ab" "$(best "$DIR/base.csv")" "$pb" "$(ratio "$ab" "$pb")" "$(ratio "$(best "$DIR/base.csv")" "$pb")" "≥1.5×"
row "train LoRA r4 all layers" "$al" "$(best "$DIR/lora.csv")" "$pl" "$(ratio "$al" "$pl")" "$(ratio "$(best "$DIR/lora.csv")" "$pl")" "≥2×"
row "train DoRA r4 input axis" "$ad" "$(best "$DIR/dora.csv")" "$pd" "$(ratio "$ad" "$pd")" "$(ratio "$(best "$DIR/dora.csv")" "$pd")" "≥2.5×"
row "train DoRA r4 input, detach-norm" "$add" "$(best "$DIR/dora-detach.csv")" "$pd" "$(ratio "$add" "$pd")" "$(ratio "$(best "$DIR/dora-detach.csv")" "$pd")" ""
per_second() { awk -v us="$(us "$1")" 'BEGIN { if (us > 0) printf "%.0f", 1e6 / us }'; }  # eval's µs/image of a model → images/s
eval_base=$(per_second base)
eval_ratio() { [ -n "$2" ] && ratio "$1" "$2" || echo "n/a"; }
row "eval base (batch 500)" "$eval_base" "" "${PEER_EVAL_BASE:-n/a}" "$(eval_ratio "$eval_base" "$PEER_EVAL_BASE")" "" ""
# Both rows from eval's fastest pass (like the peer's best of several): the "throughput" line is one
# first pass, which also pays for warm-up and keeping the logits for --compare-merged.
eval_dora=$(per_second unmerged)
row "eval base+DoRA unmerged" "$eval_dora" "" "${PEER_EVAL_DORA:-n/a}" "$(eval_ratio "$eval_dora" "$PEER_EVAL_DORA")" "" ""
echo
echo "time per image (eval, batch 500): base $(us base) µs, unmerged DoRA $(us unmerged) µs, merged $(us merged) µs"
echo "peak RSS of a full base training run (2 epochs, whole training set in memory as bytes): $PEAK (target < 1 GB)"
echo "$PEER_NOTE"
echo "eval peer: PyTorch inference (no autograd) of the same MLP over the test split at batch 500, images normalised before timing (Benchmarks/peer_eval.py); adaptool's eval figures include the uint8→float conversion; train figures are training time only (the per-epoch test passes of --metrics are excluded)"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) (other processes on the same cores lower every figure)"
