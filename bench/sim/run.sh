#!/bin/sh
# Scheduler sweep over traces x cluster sizes x seeds: see sweep.py. Usage:
#   bench/sim/run.sh [build-dir] [sweep.py options...]
# e.g. bench/sim/run.sh build --window-days 2 --philly-from 3.0e6 --synthetic-seeds 1,2
# Runs at the lowest CPU priority, one simulation at a time.
set -e
BUILD=${1:-build}
[ $# -gt 0 ] && shift
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
exec nice -n 19 /usr/bin/python3 "$ROOT/bench/sim/sweep.py" --corral "$(cd "$BUILD" && pwd)/corral" \
  --out "$(cd "$BUILD" && pwd)/bench-sim" "$@"
