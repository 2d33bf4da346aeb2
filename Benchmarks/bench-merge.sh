#!/usr/bin/env bash
# Merge throughput and memory: adaptool merge (LoRA, DoRA) of a 1 GiB float32 checkpoint
# (16 layers of 4096 × 4096) next to cp of the same file in the same run.
# Peers in the same run: cp (the issue's yardstick), cat > (the same copy through user space) and
# SHA-256 of the file (openssl; hashing every byte once, as the output fingerprint requires).
# Targets (issue #3): merge wall time within 2× of cp; peak RSS under 3× the largest layer (~200 MB).
# Env: ADAPTOOL_BIN (release binary), BENCH_DIR (scratch), MERGE_LAYERS / MERGE_SIZE to shrink it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${ADAPTOOL_BIN:-$PWD/.build/release/adaptool}"
DIR="${BENCH_DIR:-$PWD/out/bench}"
LAYERS="${MERGE_LAYERS:-16}"
SIZE="${MERGE_SIZE:-4096}"
RANK=16
mkdir -p "$DIR"
[ -x "$BIN" ] || { echo "bench-merge: $BIN not found; run make release" >&2; exit 2; }

BASE="$DIR/merge-base.h5"
STAMP="$DIR/merge-inputs.$LAYERS.$SIZE.$RANK"
if [ ! -e "$STAMP" ] || [ ! -e "$BASE" ]; then
  echo "generating inputs ($LAYERS × ${SIZE}² float32, rank $RANK) with h5py…" >&2
  rm -f "$DIR"/merge-inputs.*
  python3 Benchmarks/make_merge_inputs.py "$DIR" --layers "$LAYERS" --size "$SIZE" --rank "$RANK" >/dev/null
  touch "$STAMP"
fi
OUT="$DIR/merge-out.h5"
LAYER_BYTES=$((SIZE * SIZE * 4))

# shellcheck source=Benchmarks/lib/measure.sh
source Benchmarks/lib/measure.sh

results=()
results+=("$(measure cp cp "$BASE" "$OUT")")
# Floors of what merge must do beyond cp's in-kernel copy: copy through user space, and SHA-256
# of every weight (the output's fingerprint).
results+=("$(measure cat sh -c "cat '$BASE' > '$OUT'")")
if command -v openssl >/dev/null; then   # BoringSSL-like SHA-NI code, as adaptool's swift-crypto uses
  results+=("$(measure sha256 openssl dgst -sha256 "$BASE")")
else
  results+=("$(measure sha256 sha256sum "$BASE")")
fi
results+=("$(measure merge-lora "$BIN" merge "$BASE" "$DIR/merge-lora.h5" -o "$OUT")")
results+=("$(measure merge-dora "$BIN" merge "$BASE" "$DIR/merge-dora.h5" -o "$OUT")")
# The same files upgraded to format v2 (adaptool import; not timed): the tensor-generic merge, which
# reuses nothing here (every layer is targeted) and hashes each output tensor in parallel with writing.
V2="$DIR/merge-v2"
if [ ! -e "$V2.stamp" ] || [ "$STAMP" -nt "$V2.stamp" ]; then
  rm -f "$V2"-*.h5
  "$BIN" import "$BASE" -o "$V2-base.h5" >/dev/null
  for method in lora dora; do "$BIN" import "$DIR/merge-$method.h5" --base "$BASE" -o "$V2-$method.h5" >/dev/null; done
  touch "$V2.stamp"
fi
results+=("$(measure merge-lora-v2 "$BIN" merge "$V2-base.h5" "$V2-lora.h5" -o "$OUT")")
results+=("$(measure merge-dora-v2 "$BIN" merge "$V2-base.h5" "$V2-dora.h5" -o "$OUT")")
rm -f "$DIR/time.txt" "$DIR/stderr.txt"

cp_time=$(echo "${results[0]}" | awk '{ print $2 }')
size_mb=$(du -m "$BASE" | awk '{ print $1 }')
printf "checkpoint: %s (%s MB, %d layers of %d×%d float32; largest layer %.0f MB), rank %d\n" \
  "$BASE" "$size_mb" "$LAYERS" "$SIZE" "$SIZE" "$(echo "$LAYER_BYTES / 1048576" | bc -l)" "$RANK"
printf "%-14s %10s %10s %14s %16s\n" operation "wall s" "× cp" "peak RSS MB" "RSS / layer"
printf "%-14s %10s %10s %14s %16s\n" -------------- ---------- ---------- -------------- ----------------
json="["
for line in "${results[@]}"; do
  read -r label wall kb <<<"$line"
  ratio=$(echo "$wall / $cp_time" | bc -l)
  per_layer=$(echo "$kb * 1024 / $LAYER_BYTES" | bc -l)
  printf "%-14s %10.2f %10.2f %14.0f %16.2f\n" "$label" "$wall" "$ratio" "$(echo "$kb / 1024" | bc -l)" "$per_layer"
  json+=$(printf '{"operation":"%s","wall_s":%s,"ratio_to_cp":%.3f,"peak_rss_kb":%s,"rss_per_layer":%.3f},' "$label" "$wall" "$ratio" "$kb" "$per_layer")
done
echo "targets: merge ≤ 2.00 × cp; peak RSS < 3.00 × largest layer"
echo "json: ${json%,}]"
