#!/usr/bin/env bash
# Interop throughput: import (safetensors → HDF5 checkpoint) and export (HDF5 → safetensors) of a
# 1 GiB state dict (4 × Linear(8192, 8192), float32), next to `cp` of the same file in the same run.
# Env: ADAPTOOL_BIN (release binary), BENCH_DIR (scratch; the 1 GiB source is generated once there).
set -euo pipefail
BIN="${ADAPTOOL_BIN:?set ADAPTOOL_BIN to the release adaptool}"
DIR="${BENCH_DIR:?set BENCH_DIR to a scratch folder}/interop"
mkdir -p "$DIR"
SRC="$DIR/state_dict_1gib.safetensors"

if [ ! -f "$SRC" ]; then
  python3 - "$SRC" <<'PY'
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

bytes=$(stat -c %s "$SRC")
rm -rf "$DIR/copy.safetensors" "$DIR/imported.h5" "$DIR/exported.safetensors"
sync

# Best of RUNS wall-clock times (the machine may be shared); the output is removed before each run.
RUNS="${RUNS:-2}"
best() {
  local out="$1"; shift
  local best_time="" start end t
  for _ in $(seq "$RUNS"); do
    rm -rf "$out"
    start=$(date +%s.%N); "$@" >/dev/null; end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc -l)
    if [ -z "$best_time" ] || [ "$(echo "$t < $best_time" | bc -l)" = 1 ]; then best_time=$t; fi
  done
  echo "$best_time"
}

t_cp=$(best "$DIR/copy.safetensors" cp "$SRC" "$DIR/copy.safetensors")
t_import=$(best "$DIR/imported.h5" "$BIN" import "$SRC" -o "$DIR/imported.h5")
t_export=$(best "$DIR/exported.safetensors" "$BIN" export "$DIR/imported.h5" -o "$DIR/exported.safetensors")
cmp -s <(python3 -c "import sys; from safetensors.numpy import load_file; t=load_file(sys.argv[1]); print(sorted((k, float(v.sum())) for k, v in t.items()))" "$SRC") \
       <(python3 -c "import sys; from safetensors.numpy import load_file; t=load_file(sys.argv[1]); print(sorted((k, float(v.sum())) for k, v in t.items()))" "$DIR/exported.safetensors") \
  && check="identical sums" || check="MISMATCH"

mbps() { echo "scale=1; $bytes / 1000000 / $1" | bc -l; }
ratio() { echo "scale=2; $1 / $t_cp" | bc -l; }
echo "best of $RUNS runs, $bytes bytes"
printf '%-34s %8s %8s %11s\n' "operation (1 GiB, F32)" "seconds" "MB/s" "time vs cp"
printf '%-34s %8.2f %8s %11s\n' "cp (peer)" "$t_cp" "$(mbps "$t_cp")" "1.00"
printf '%-34s %8.2f %8s %11s\n' "adaptool import (safetensors->h5)" "$t_import" "$(mbps "$t_import")" "$(ratio "$t_import")"
printf '%-34s %8.2f %8s %11s\n' "adaptool export (h5->safetensors)" "$t_export" "$(mbps "$t_export")" "$(ratio "$t_export")"
echo "round trip check: $check"
printf '{"bytes": %d, "cp_s": %.3f, "import_s": %.3f, "export_s": %.3f}\n' "$bytes" "$t_cp" "$t_import" "$t_export"
rm -f "$DIR/copy.safetensors" "$DIR/imported.h5" "$DIR/exported.safetensors"
