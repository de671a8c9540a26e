#!/usr/bin/env bash
# End-to-end tuner figure through a real server (see README.md beside this file).
# Usage: bench/experiments/run.sh [BUILD_DIR] [extra bench_experiment.py flags]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
shift || true
exec /usr/bin/python3 "$root/bench/experiments/bench_experiment.py" --corral "$build/corral" "$@"
