#!/usr/bin/env bash
# Full HPO benchmark: Corral's tuner vs Optuna 3.1 side by side (see README.md beside this file).
# Usage: bench/tune/run.sh [extra bench_hpo.py flags]   (e.g. --seeds 5 --suites s2,s3)
# Builds the protocol-only helper if no corral binary is given through CORRAL_BIN.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${CORRAL_BUILD_DIR:-$root/build}
if [ -z "${CORRAL_BIN:-}" ]; then
  if [ -x "$build/corral" ]; then
    CORRAL_BIN=$build/corral
  else
    cmake -S "$root" -B "$build" -G Ninja >/dev/null
    ninja -C "$build" -j2 tune_protocol_bench
    CORRAL_BIN=$build/bench/tune/tune_protocol_bench
  fi
fi
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
exec /usr/bin/python3 "$root/bench/tune/bench_hpo.py" --corral "$CORRAL_BIN" \
  --suites s1,s2,s3,s4 --s1-20d --seeds 10 --svc-seeds 5 --s4-seeds 10 --s4-budgets 540,1080 \
  --out "$root/bench/tune/results" "$@"
