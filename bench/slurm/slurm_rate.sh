#!/usr/bin/env bash
# Slurm's own rate on the project's test cluster, measured now: N x `sbatch --wrap true` from one
# serial client. Prints "<accepted jobs/s> <completed jobs/s>" (completed: from the first submit
# until Slurm has finished them all). Usage: bench/slurm/slurm_rate.sh [N]
set -euo pipefail
N=${1:-500}
HERE=$(cd "$(dirname "$0")" && pwd)
"$HERE/../../tests/slurm/start-cluster.sh" >/dev/null
NAME=corral-rate-$$
OUT=$(mktemp -d); chmod 0777 "$OUT"
t0=$(date +%s.%N)
for _ in $(seq "$N"); do
  sbatch --parsable -J "$NAME" -c 1 --no-requeue -o /dev/null --wrap true >>"$OUT/ids"
done
t1=$(date +%s.%N)
while [ -n "$(squeue -h -n "$NAME" -o %i | head -1)" ]; do sleep 0.1; done
t2=$(date +%s.%N)
rm -rf "$OUT"
awk -v n="$N" -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {printf "%.1f %.1f\n", n/(b-a), n/(c-a)}'
