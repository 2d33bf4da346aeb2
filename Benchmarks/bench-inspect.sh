#!/usr/bin/env bash
# bench-inspect: `adaptool inspect` (metadata only) vs `inspect --verify` (reads and hashes every
# value) vs `cp` of the same ~1 GB float32 checkpoint. Target: inspect well under a second, because
# it never touches the data. Env: ADAPTOOL_BIN (release binary), BENCH_DIR (scratch), INSPECT_MB.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${ADAPTOOL_BIN:-$PWD/.build/release/adaptool}"
DIR="${BENCH_DIR:-$PWD/out/bench}"
SIZE_MB="${INSPECT_MB:-1024}"
FILE="$DIR/inspect-${SIZE_MB}mb.h5"
mkdir -p "$DIR"
[ -x "$BIN" ] || { echo "bench-inspect: $BIN missing; run make release" >&2; exit 1; }
[ -f "$FILE" ] || python3 Benchmarks/large_checkpoint.py "$FILE" "$SIZE_MB"

now() { date +%s.%N; }
calc() { awk "BEGIN { print ($1) }"; }
# best of N wall-clock seconds for a command
best_of() {
  local n=$1; shift
  local best=""
  for _ in $(seq "$n"); do
    local start end t
    start=$(now); "$@" >/dev/null; end=$(now)
    t=$(calc "$end - $start")
    if [ -z "$best" ] || [ "$(calc "$t < $best")" = 1 ]; then best=$t; fi
  done
  printf '%.4f' "$best"
}

cat "$FILE" >/dev/null   # warm the page cache so every contender reads from memory
inspect=$(best_of 5 "$BIN" inspect "$FILE")
inspect_json=$(best_of 5 "$BIN" inspect --json "$FILE")
verify=$(best_of 2 "$BIN" inspect --verify "$FILE")
copy_target="$DIR/inspect-copy.h5"
cp_time=$(best_of 2 cp "$FILE" "$copy_target")
rm -f "$copy_target"
bytes=$(stat -c %s "$FILE")

ratio() { printf '%.1f' "$(calc "$1 / $2")"; }
printf '%-28s %12s %14s\n' "operation (file $((bytes / 1048576)) MiB)" "seconds" "× inspect"
printf '%-28s %12s %14s\n' "----------------------------" "-------" "---------"
printf '%-28s %12s %14s\n' "adaptool inspect" "$inspect" "1.0"
printf '%-28s %12s %14s\n' "adaptool inspect --json" "$inspect_json" "$(ratio "$inspect_json" "$inspect")"
printf '%-28s %12s %14s\n' "cp (peer: read+write all)" "$cp_time" "$(ratio "$cp_time" "$inspect")"
printf '%-28s %12s %14s\n' "adaptool inspect --verify" "$verify" "$(ratio "$verify" "$inspect")"
printf 'verify throughput: %.0f MiB/s; verify / cp: %s\n' "$(calc "$bytes / 1048576 / $verify")" "$(ratio "$verify" "$cp_time")"
printf '{"bench":"inspect","file_bytes":%s,"inspect_s":%s,"inspect_json_s":%s,"verify_s":%s,"cp_s":%s}\n' \
  "$bytes" "$inspect" "$inspect_json" "$verify" "$cp_time"
if [ "$(calc "$inspect < 1")" != 1 ]; then echo "bench-inspect: WARNING: inspect took ${inspect}s, target < 1 s" >&2; fi
