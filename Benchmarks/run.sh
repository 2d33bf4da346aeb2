#!/usr/bin/env bash
# make bench: runs every Benchmarks/bench-*.sh in turn; each prints its own table of figures.
set -euo pipefail
cd "$(dirname "$0")/.."
export ADAPTOOL_BIN="${ADAPTOOL_BIN:-$PWD/.build/release/adaptool}"
export BENCH_DIR="${BENCH_DIR:-$PWD/out/bench}"
mkdir -p "$BENCH_DIR"
for script in Benchmarks/bench-*.sh; do
  [ -e "$script" ] || continue
  echo "== $(basename "$script" .sh) =="
  bash "$script"
  echo
done
