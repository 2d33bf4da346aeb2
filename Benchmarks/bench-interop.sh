#!/usr/bin/env bash
# Interop throughput next to `cp` of the same file in the same run (issue 11: import and export of a
# 1 GiB safetensors file within 2× cp):
#   model:      a Llama-shaped .safetensors file of 471 tensors (F32 embedding, BF16/F16 projections,
#               F32 norms and biases; Benchmarks/make_interop_model.py) → format v2 checkpoint (a
#               SHA-256 digest per tensor, the model fingerprint) → .safetensors file and model folder;
#   state dict: 4 × Linear(8192, 8192) float32, which fits the MLP layout → format v1 checkpoint → back.
# Runs are interleaved (cp, import, export, cp, …), RUNS (3) of each after one warm-up; the median
# and the spread are printed. The page cache is warm for every command (the source is read before;
# caches are not dropped, as the machine is shared). Each run starts after sync(1).
# Env: ADAPTOOL_BIN (release binary), BENCH_DIR (scratch; the sources are generated once there).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${ADAPTOOL_BIN:-$PWD/.build/release/adaptool}"
DIR="${BENCH_DIR:-$PWD/out/bench}/interop"
RUNS="${RUNS:-3}"
mkdir -p "$DIR"
[ -x "$BIN" ] || { echo "bench-interop: $BIN not found; run make release" >&2; exit 2; }
[ -x /usr/bin/time ] || { SUDO=$( [ "$(id -u)" = 0 ] || echo sudo ); $SUDO apt-get install -y -qq time >/dev/null; }

MODEL="$DIR/model_1gib.safetensors"
STATE="$DIR/state_dict_1gib.safetensors"
[ -f "$MODEL" ] || python3 Benchmarks/make_interop_model.py "$MODEL" > "$DIR/model_largest.txt"
if [ ! -f "$STATE" ]; then
  python3 - "$STATE" <<'PY'
import sys
import numpy as np
from safetensors.numpy import save_file
rng = np.random.default_rng(0)
n = 8192
tensors = {}
for i in range(4):
    tensors[f"layers.{2 * i}.weight"] = rng.standard_normal((n, n), dtype=np.float32) * 0.01
    tensors[f"layers.{2 * i}.bias"] = np.zeros(n, np.float32)
save_file(tensors, sys.argv[1])
PY
fi

# once LABEL OUT CMD…: one run under /usr/bin/time after sync, OUT removed before and after;
# appends "LABEL seconds peak-RSS-kB" to $DIR/runs.txt.
once() {
  local label=$1 out=$2; shift 2
  rm -rf "$out"; sync
  /usr/bin/time -f "%e %M" -o "$DIR/time.txt" "$@" >/dev/null 2>"$DIR/stderr.txt" || { cat "$DIR/stderr.txt" >&2; exit 2; }
  echo "$label $(cat "$DIR/time.txt")" >> "$DIR/runs.txt"
  rm -rf "$out"
}

# suite NAME SOURCE: cp, import and the exports of SOURCE, interleaved; then the checks.
suite() {
  local name=$1 src=$2 h5="$DIR/$1.h5"
  cat "$src" > /dev/null
  rm -rf "$h5"; "$BIN" import "$src" -o "$h5" >/dev/null
  local folder=""; [ "$name" = model ] && folder="export-folder"
  : > "$DIR/runs.txt"
  for run in $(seq 0 "$RUNS"); do
    [ "$run" = 0 ] && mark=warmup || mark=""
    once "cp$mark" "$DIR/copy.safetensors" cp "$src" "$DIR/copy.safetensors"
    once "import$mark" "$DIR/imported.h5" "$BIN" import "$src" -o "$DIR/imported.h5"
    once "export-file$mark" "$DIR/exported.safetensors" "$BIN" export "$h5" -o "$DIR/exported.safetensors"
    [ -n "$folder" ] && once "export-folder$mark" "$DIR/exported" "$BIN" export "$h5" -o "$DIR/exported"
  done
  # Checks: the export is the source byte for byte (model) or has the same values (v1 state dict),
  # and the import's digests verify.
  "$BIN" export "$h5" -o "$DIR/exported.safetensors" >/dev/null
  if [ "$name" = model ]; then
    cmp -s "$src" "$DIR/exported.safetensors" && check="export byte-identical to the source" || check="export DIFFERS from the source"
    "$BIN" inspect --verify "$h5" >/dev/null && check="$check; inspect --verify ok" || check="$check; inspect --verify FAILED"
  else
    python3 -c "
import sys, numpy as np
from safetensors.numpy import load_file
a, b = load_file(sys.argv[1]), load_file(sys.argv[2])
sys.exit(0 if a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a) else 1)" "$src" "$DIR/exported.safetensors" \
      && check="export has the source's values" || check="export values DIFFER"
  fi
  rm -rf "$DIR/exported.safetensors" "$DIR/exported" "$h5" "$DIR/time.txt" "$DIR/stderr.txt"
  report "$name" "$src" "$check"
}

# report NAME SOURCE CHECK: median, spread, MB/s, × cp and peak RSS of each operation.
report() {
  local bytes; bytes=$(stat -c %s "$2")
  python3 - "$DIR/runs.txt" "$1" "$bytes" "$3" <<'PY'
import json, statistics, sys
runs, name, size, check = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
times, rss = {}, {}
for line in open(runs):
    label, seconds, kb = line.split()
    if label.endswith("warmup"):
        continue
    times.setdefault(label, []).append(float(seconds))
    rss[label] = max(rss.get(label, 0), int(kb))
cp = statistics.median(times["cp"])
print(f"{name}: {size} bytes ({size / 2**30:.3f} GiB); median of {len(times['cp'])} interleaved runs, warm page cache")
print(f"{'operation':<16} {'median s':>9} {'min-max s':>12} {'MB/s':>7} {'x cp':>6} {'peak RSS MB':>12}")
rows = []
for label, values in times.items():
    median = statistics.median(values)
    print(f"{label:<16} {median:9.2f} {min(values):5.2f}-{max(values):<6.2f} {size / 1e6 / median:7.0f} {median / cp:6.2f} {rss[label] / 1024:12.0f}")
    rows.append({"suite": name, "operation": label, "median_s": median, "min_s": min(values), "max_s": max(values),
                 "ratio_to_cp": round(median / cp, 3), "peak_rss_kb": rss[label]})
print(f"check: {check}")
print("json: " + json.dumps(rows))
PY
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15-min load average; 2 cores)"
suite model "$MODEL"
echo "largest tensor: $(( $(cat "$DIR/model_largest.txt" 2>/dev/null || echo 131072000) / 1048576 )) MiB; target: import and export ≤ 2.00 × cp, peak RSS about two tensors at most"
echo
suite state-dict-v1 "$STATE"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
