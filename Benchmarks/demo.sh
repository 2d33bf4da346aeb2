#!/usr/bin/env bash
# make demo: the main job. Finds CIFAR-10 (or falls back to synthetic data, loudly), trains a base MLP,
# a LoRA and a DoRA adapter with the reference notebook's recipe, merges both, evaluates everything and
# prints the table; files and a Markdown report go to out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${ADAPTOOL_BIN:-$PWD/.build/release/adaptool}"
OUT="${DEMO_OUT:-out/demo}"
SEED="${SEED:-123}"
mkdir -p "$OUT"
started=$(date +%s.%N)

# 1. Data: CIFAR10_DIR → the shared JPEG-approximate full copy → make data → synthetic.
# DEMO_SHARED_DATA and DEMO_DATA_DIR move the two searched folders (the offline check in make test
# points them at an empty scratch folder); DEMO_DATA_ONLY=1 stops after choosing the data.
SHARED_DATA="${DEMO_SHARED_DATA:-../shared/data/cifar-10-batches-bin-jpeg-approx}"
DATA_DIR="${DEMO_DATA_DIR:-data}"
SYNTHETIC_LINE="demo: WARNING: SYNTHETIC DATA: no CIFAR-10 was available (offline?); the accuracies are NOT CIFAR-10 accuracies."
DATA_ARGS=()
DATA_DESC=""
SYNTHETIC=""
for candidate in "${CIFAR10_DIR:-}" "$SHARED_DATA" "$DATA_DIR/cifar-10-batches-bin"; do
  if [ -n "$candidate" ] && [ -d "$candidate" ] && ls "$candidate"/test_batch*.bin >/dev/null 2>&1; then
    DATA_ARGS=(--data "$candidate"); DATA_DESC="$candidate"; break
  fi
done
if [ ${#DATA_ARGS[@]} -eq 0 ]; then
  echo "demo: no CIFAR-10 found; downloading it into $DATA_DIR/ (needs internet)"
  # The fetch script's own output goes to a log; offline, only its one-line reason is shown.
  if bash Benchmarks/fetch_cifar10.sh "$DATA_DIR" >"$OUT/fetch.log" 2>&1; then
    DATA_ARGS=(--data "$DATA_DIR/cifar-10-batches-bin"); DATA_DESC="$DATA_DIR/cifar-10-batches-bin"
  else
    tail -1 "$OUT/fetch.log"
    echo "$SYNTHETIC_LINE"
    DATA_ARGS=(--synthetic); DATA_DESC="SYNTHETIC (no CIFAR-10 found)"; SYNTHETIC=1
  fi
fi
echo "demo: data: $DATA_DESC"
if [ -n "${DEMO_DATA_ONLY:-}" ]; then exit 0; fi

# 2. Train (the reference recipe: Adam 0.005, batch 64; base 2 epochs; adapters rank 4, scaling 8, all layers, 10 epochs).
train() {  # name, args...
  local name=$1; shift
  "$BIN" train "$@" "${DATA_ARGS[@]}" --seed "$SEED" --metrics "$OUT/$name.csv" --plot "$OUT/$name-training.svg" --force \
    -o "$OUT/$name.h5" | tee "$OUT/$name.train.txt"
}
rm -f "$OUT"/*.svg "$OUT/report.html"
train base base --hidden 128,256 --epochs 2
train lora lora --base "$OUT/base.h5" --rank 4 --scaling 8 --targets all --init gaussian --epochs 10
train dora dora --base "$OUT/base.h5" --rank 4 --scaling 8 --targets all --init gaussian --norm-axis input --epochs 10

# 3. Merge both adapters into standalone checkpoints.
MERGE_NOTE=""
for name in lora dora; do
  rm -f "$OUT/$name-merged.h5"
  if ! "$BIN" merge "$OUT/base.h5" "$OUT/$name.h5" -o "$OUT/$name-merged.h5" --force >"$OUT/$name.merge.txt" 2>&1 \
     || [ ! -f "$OUT/$name-merged.h5" ]; then
    MERGE_NOTE="adaptool merge did not produce a file in this build ($(head -1 "$OUT/$name.merge.txt")); merged accuracy comes from eval --compare-merged (in-memory merge)"
  fi
done

# 4. Evaluate.
EVAL_DATA=("${DATA_ARGS[@]}")
"$BIN" eval "$OUT/base.h5" "${EVAL_DATA[@]}" --plot "$OUT/base-confusion.svg" > "$OUT/base.eval.txt"
for name in lora dora; do
  "$BIN" eval "$OUT/base.h5" --adapter "$OUT/$name.h5" --compare-merged "${EVAL_DATA[@]}" --plot "$OUT/$name-confusion.svg" \
    > "$OUT/$name.eval.txt"
  if [ -f "$OUT/$name-merged.h5" ]; then "$BIN" eval "$OUT/$name-merged.h5" "${EVAL_DATA[@]}" > "$OUT/$name-merged.eval.txt"; fi
done

# 5. What each fine-tune changed: per-layer ‖ΔW‖, spectra, DoRA's magnitude/direction (diff exits 1: they differ).
for name in lora dora; do
  axis=output; [ "$name" = dora ] && axis=input
  if [ -f "$OUT/$name-merged.h5" ]; then
    "$BIN" diff "$OUT/base.h5" "$OUT/$name-merged.h5" --norm-axis "$axis" --plot "$OUT/$name-diff.svg" > "$OUT/$name.diff.txt" \
      || [ $? -eq 1 ]
  fi
done

# 6. The table.
field() { sed -n "s/^$2 *\([0-9.]*\).*/\1/p" "$1" | head -1; }
params() { sed -n 's/.*, \([0-9]*\) trainable parameters.*/\1/p' "$1"; }
seconds() { sed -n 's/.* images in \([0-9.]*\) s.*/\1/p' "$1"; }
merged_acc() {  # from the merged file when merge worked, else from the in-memory merge
  if [ -f "$OUT/$1-merged.eval.txt" ]; then field "$OUT/$1-merged.eval.txt" "accuracy:"; else field "$OUT/$1.eval.txt" "merged accuracy:"; fi
}
differ() { sed -n 's/^merged vs unmerged: \([0-9]*\) of.*/\1/p' "$OUT/$1.eval.txt"; }
times() { sed -n 's/^time per image: base \([0-9.]*\) µs, unmerged \([0-9.]*\) µs, merged \([0-9.]*\) µs/\1 \2 \3/p' "$OUT/$1.eval.txt"; }
read -r lb lu lm <<<"$(times lora)"; read -r db du dm <<<"$(times dora)"
base_acc=$(field "$OUT/base.eval.txt" "accuracy:")
total=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

{
  echo "| model | accuracy unmerged % | accuracy merged % | predictions differing | trainable params | training s | µs/image unmerged | µs/image merged (base) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  echo "| base (2 epochs) | $base_acc | – | – | $(params "$OUT/base.train.txt") | $(seconds "$OUT/base.train.txt") | – | $lb |"
  echo "| LoRA r4 s8 (10 epochs) | $(field "$OUT/lora.eval.txt" "accuracy:") | $(merged_acc lora) | $(differ lora) | $(params "$OUT/lora.train.txt") | $(seconds "$OUT/lora.train.txt") | $lu | $lm ($lb) |"
  echo "| DoRA r4 s8 input-axis (10 epochs) | $(field "$OUT/dora.eval.txt" "accuracy:") | $(merged_acc dora) | $(differ dora) | $(params "$OUT/dora.train.txt") | $(seconds "$OUT/dora.train.txt") | $du | $dm ($db) |"
} > "$OUT/table.md"

{
  echo "# adaptool demo"
  echo
  echo "Data: $DATA_DESC. Seed $SEED. Recipe: MLP 3072-128-256-10, Adam lr 0.005, batch 64; base 2 epochs;"
  echo "LoRA and DoRA rank 4, scaling 8, all layers, A ~ N(0, 1/4), 10 epochs; DoRA magnitude per input column."
  echo "Reference (PyTorch notebook): base 44.49 %, LoRA 46.38 %, DoRA 47.51 %; PyTorch 2.13 on this machine's"
  echo "JPEG-approximate copy: 42.1 / 46.2 / 47.7 %."
  echo
  cat "$OUT/table.md"
  echo
  [ -n "$SYNTHETIC" ] && echo "**${SYNTHETIC_LINE#demo: }**" && echo
  [ -n "$MERGE_NOTE" ] && echo "Note: $MERGE_NOTE." && echo
  echo "Merged checkpoints cost what the base costs: the merged µs/image is next to the base's in brackets."
  echo "Whole demo: $total s. Files: base.h5, lora.h5, dora.h5, *-merged.h5, per-epoch metrics *.csv, eval outputs *.eval.txt."
} > "$OUT/REPORT.md"

NOTE_LINE=""; [ -n "$SYNTHETIC" ] && NOTE_LINE="${SYNTHETIC_LINE#demo: }"
bash Benchmarks/demo-report.sh "$OUT" "adaptool demo: base, LoRA and DoRA on ${DATA_DESC}" "$NOTE_LINE" \
  "Base: loss and accuracy per epoch=$OUT/base-training.svg" \
  "LoRA: loss and accuracy per epoch=$OUT/lora-training.svg" \
  "DoRA: loss and accuracy per epoch=$OUT/dora-training.svg" \
  "Base: confusion matrix=$OUT/base-confusion.svg" \
  "Base + LoRA: confusion matrix=$OUT/lora-confusion.svg" \
  "Base + DoRA: confusion matrix=$OUT/dora-confusion.svg" \
  "What LoRA changed (base vs LoRA-merged)=$OUT/lora-diff.svg" \
  "What DoRA changed (base vs DoRA-merged, magnitudes per input column)=$OUT/dora-diff.svg"

echo
cat "$OUT/table.md"
[ -n "$SYNTHETIC" ] && echo && echo "$SYNTHETIC_LINE"
[ -n "$MERGE_NOTE" ] && echo && echo "note: $MERGE_NOTE"
echo
echo "demo: whole run $total s; report: $OUT/REPORT.md; with pictures: $OUT/report.html"
