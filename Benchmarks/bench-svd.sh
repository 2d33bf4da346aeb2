#!/usr/bin/env bash
# bench-svd: the randomized SVD (default) against LAPACK's full SVD (--exact) in `extract` and in
# `diff`'s numerical rank, on one 4096 × 4096 layer (issue 11, item 3; target: a rank-16 extract in
# < 0.5 s). Pairs from Tests/Scripts/svd_pair.py: base Gaussian; tuned = base + a rank-16 update + small
# full-rank noise (so the rank-16 share is below 100 %), as a v2 checkpoint and as a v1 checkpoint
# (both imported from .safetensors); and a noiseless rank-16 merge (a LoRA fine-tune) for diff.
# Runs are interleaved (randomized, exact, randomized, …); medians with [min–max] are printed.
# "SVD part" is the factorisation alone (ADAPTOOL_TIMINGS=1 makes extract print it), "command" the
# whole process (reading both files, ΔW, SVD, writing). Nothing is asserted.
# Env: ADAPTOOL_BIN, BENCH_DIR, SVD_N (default 4096), SVD_RANK (16), SVD_RUNS (3),
# SVD_EXTRACT_FORMATS ("v2 v1"; "" runs only the diff part).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${ADAPTOOL_BIN:-$PWD/.build/release/adaptool}"
N="${SVD_N:-4096}"
RANK="${SVD_RANK:-16}"
RUNS="${SVD_RUNS:-3}"
DIR="${BENCH_DIR:-$PWD/out/bench}/svd-$N"
PAIR=Tests/Scripts/svd_pair.py
[ -x "$BIN" ] || { echo "bench-svd: $BIN missing; run make release" >&2; exit 1; }
mkdir -p "$DIR"
if [ ! -f "$DIR/lora/v1_tuned.h5" ]; then
  python3 "$PAIR" make "$DIR/noisy" --rows "$N" --cols "$N" --spectrum lowrank --rank "$RANK" --noise 3e-6 --seed 11
  python3 "$PAIR" make "$DIR/lora" --rows "$N" --cols "$N" --spectrum lowrank --rank "$RANK" --seed 11
  for side in base tuned; do
    "$BIN" import "$DIR/noisy/model_$side.safetensors" -o "$DIR/noisy/v2_$side.h5" --force >/dev/null
    "$BIN" import "$DIR/noisy/mlp_$side.safetensors" -o "$DIR/noisy/v1_$side.h5" --force >/dev/null
    "$BIN" import "$DIR/lora/mlp_$side.safetensors" -o "$DIR/lora/v1_$side.h5" --force >/dev/null
  done
fi

now() { date +%s.%N; }
calc() { awk "BEGIN { print ($1) }"; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f [%.3f–%.3f]", m, v[1], v[NR] }'; }
med() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { printf "%.4f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# extract FORMAT [--exact]: runs one extract into $DIR/FORMAT-(randomized|--exact).h5; sets SECONDS_TAKEN, SVD_SECONDS, SHARE
extract() {
  local format=$1; shift
  local start end err
  err=$(mktemp)
  start=$(now)
  out=$(ADAPTOOL_TIMINGS=1 "$BIN" extract "$DIR/noisy/${format}_base.h5" "$DIR/noisy/${format}_tuned.h5" --rank "$RANK" \
          -o "$DIR/$format-${1:-randomized}.h5" --force "$@" 2>"$err")
  end=$(now)
  SECONDS_TAKEN=$(calc "$end - $start")
  SVD_SECONDS=$(awk '/^timing:/ { print $(NF - 1) }' "$err")
  SHARE=$(grep -o '[0-9.]*%' <<<"$out" | tail -1)
  rm -f "$err"
}

# diff_rank PAIR FLAG…: one diff --json of the v1 pair (a v2 diff skips the rank above
# TensorSetDiff.rankElementLimit = 2²² elements, so of a 4096² tensor); sets SECONDS_TAKEN, RANK_FOUND
diff_rank() {
  local pair=$1; shift
  local start end json
  start=$(now)
  json=$("$BIN" diff "$DIR/$pair/v1_base.h5" "$DIR/$pair/v1_tuned.h5" --json "$@" || true)
  end=$(now)
  SECONDS_TAKEN=$(calc "$end - $start")
  RANK_FOUND=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["layers"][0]["weight"]["numericalRank"])' <<<"$json")
}

echo "load before: $(uptime | sed 's/.*load average/load average/')"
printf '%-44s %26s %26s %8s\n' "job ($N × $N, rank $RANK, $RUNS interleaved runs)" "randomized s" "--exact s" "× faster"
printf '%-44s %26s %26s %8s\n' "--------------------------------------------" "-------------" "---------" "--------"
declare -A share
for format in ${SVD_EXTRACT_FORMATS-v2 v1}; do
  runs=$RUNS
  [ "$format" = v1 ] && runs=1   # the v1 pair factors the same matrix; one exact run shows the same cost
  rc="" rs="" ec="" es=""
  for _ in $(seq "$runs"); do
    extract "$format"; rc="$rc $SECONDS_TAKEN"; rs="$rs $SVD_SECONDS"; share[$format-r]=$SHARE
    extract "$format" --exact; ec="$ec $SECONDS_TAKEN"; es="$es $SVD_SECONDS"; share[$format-e]=$SHARE
  done
  printf '%-44s %26s %26s %8.1f\n' "extract $format: whole command" "$(median <<<"$rc")" "$(median <<<"$ec")" "$(calc "$(med <<<"$ec") / $(med <<<"$rc")")"
  printf '%-44s %26s %26s %8.1f\n' "extract $format: SVD part (factorisation)" "$(median <<<"$rs")" "$(median <<<"$es")" "$(calc "$(med <<<"$es") / $(med <<<"$rs")")"
done
declare -A ranks
for pair in lora noisy; do
  rc="" ec=""
  for _ in $(seq "$RUNS"); do
    diff_rank "$pair"; rc="$rc $SECONDS_TAKEN"; ranks[$pair-r]=$RANK_FOUND
    diff_rank "$pair" --exact; ec="$ec $SECONDS_TAKEN"; ranks[$pair-e]=$RANK_FOUND
  done
  label="diff rank, $([ "$pair" = lora ] && echo "rank-$RANK merge" || echo "rank $RANK + noise")"
  printf '%-44s %26s %26s %8.1f\n' "$label: whole command" "$(median <<<"$rc")" "$(median <<<"$ec")" "$(calc "$(med <<<"$ec") / $(med <<<"$rc")")"
done
for format in ${SVD_EXTRACT_FORMATS-v2 v1}; do
  r=$(python3 "$PAIR" share "$DIR/noisy/model_base.safetensors" "$DIR/noisy/model_tuned.safetensors" "$DIR/$format-randomized.h5")
  e=$(python3 "$PAIR" share "$DIR/noisy/model_base.safetensors" "$DIR/noisy/model_tuned.safetensors" "$DIR/$format---exact.h5")
  printf 'captured share %s: printed randomized %s, exact %s; numpy on the written factors: randomized %.9f, exact %.9f, difference %.2e (target < 1e-3)\n' \
    "$format" "${share[$format-r]}" "${share[$format-e]}" "$r" "$e" "$(calc "$e - $r")"
done
printf 'diff numerical rank: rank-%s merge: randomized %s, exact %s; rank %s + noise: randomized %s, exact %s\n' \
  "$RANK" "${ranks[lora-r]}" "${ranks[lora-e]}" "$RANK" "${ranks[noisy-r]}" "${ranks[noisy-e]}"
echo "load after: $(uptime | sed 's/.*load average/load average/')"
