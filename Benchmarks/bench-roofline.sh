#!/usr/bin/env bash
# Where a training step's time goes (issue 11): each phase of one base (3072-128-256-10), LoRA r4 and
# DoRA r4 (input axis) step at batch 64 — GEMMs by name, bias/ReLU, softmax cross-entropy, Adam, the
# batch gather and uint8→float conversion — with its time, GFLOP/s and share of the step, next to
# the GFLOP/s of a 2048³ SGEMM and of the batch-shaped products measured in the same run.
# Env: ADAPTOOL_BIN (release binary), ROOFLINE_STEPS (timed steps per job, default 500).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${ADAPTOOL_BIN:-$PWD/.build/release/adaptool}"
"$BIN" roofline --steps "${ROOFLINE_STEPS:-500}"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) (other processes on the same cores lower every figure)"
