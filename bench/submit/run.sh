#!/usr/bin/env bash
# bench/submit: 10,000 trivial jobs through a real server (simulated GPUs, several clients), then
# the server's memory with 100,000 finished jobs in its history. Prints figures and ratios against
# the anchors. Usage: bench/submit/run.sh [BUILD_DIR] [JOBS] [CLIENTS]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
JOBS=${2:-10000}
CLIENTS=${3:-8}
CORRAL="$PWD/$BUILD/corral"
BENCH="$PWD/$BUILD/bench/submit/bench_submit"
WORK=$(mktemp -d)
trap 'kill $(cat "$WORK/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$WORK"' EXIT

# Anchors: Slurm 22.05 through sbatch, measured in this run on the project's own two-node test
# cluster (bench/slurm/slurm_rate.sh, needs root); where that cannot run, figures measured once on
# this kind of machine (2 cores).
SLURM_ACCEPT=83
SLURM_COMPLETE=63
SLURM_SOURCE="constant (Slurm could not be measured here)"
if [ "$(id -u)" = 0 ] && RATE=$(./bench/slurm/slurm_rate.sh "${SLURM_JOBS:-500}" 2>/dev/null); then
  read -r SLURM_ACCEPT SLURM_COMPLETE <<<"$RATE"
  SLURM_SOURCE="measured now: ${SLURM_JOBS:-500} x sbatch --wrap true on tests/slurm's cluster"
fi
echo "== Slurm anchors: accepted $SLURM_ACCEPT jobs/s, completed $SLURM_COMPLETE jobs/s ($SLURM_SOURCE)"

start_server() {
  "$CORRAL" server --data-dir "$WORK/data" --port 0 --simulate-gpus 8 --simulate-nodes 16 \
    --admin-token-file "$WORK/token" --log-level warn >"$WORK/out" 2>>"$WORK/err" &
  echo $! >"$WORK/pid"
  for _ in $(seq 1 200); do
    grep -q "listening on" "$WORK/out" 2>/dev/null && break
    sleep 0.05
  done
  URL=$(grep -o 'http://[0-9.:]*' "$WORK/out" | head -1)
}
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$(cat "$WORK/pid")/status"; }
hwm_mb() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$(cat "$WORK/pid")/status"; }

echo "== spawn floor (posix_spawn + wait of /bin/true, 2 threads): what one process per job costs here"
FLOOR=$("$BENCH" spawn-floor --n 2000 --threads 2)
echo "$FLOOR"

echo "== submit $JOBS jobs from $CLIENTS clients"
start_server
R=$("$BENCH" submit --url "$URL" --token "$(cat "$WORK/token")" --jobs "$JOBS" --clients "$CLIENTS")
echo "$R"
echo "== latency below saturation: 300 jobs at 20 jobs/s from 1 client"
L=$("$BENCH" submit --url "$URL" --token "$(cat "$WORK/token")" --jobs 300 --clients 1 --rate 20 --tag latency)
echo "$L"
RSS_RUN=$(rss_mb)
HWM_RUN=$(hwm_mb)
kill -TERM "$(cat "$WORK/pid")"; wait "$(cat "$WORK/pid")" 2>/dev/null || true

echo "== history: seed to 100,000 finished jobs, restart, list pages"
HAVE=$(/usr/bin/sqlite3 "$WORK/data/corral.db" 'select count(*) from jobs' 2>/dev/null || echo "$JOBS")
"$BENCH" seed-history --db "$WORK/data/corral.db" --jobs $((100000 - HAVE))
start_server
TOKEN=$(cat "$WORK/token" 2>/dev/null || true)
# The admin token file is written only on the first start; reuse it.
for i in $(seq 1 50); do
  curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/api/v1/jobs?limit=1000&cursor=$((100000 - i * 1000))" >/dev/null
done
"$BENCH" submit --url "$URL" --token "$TOKEN" --jobs 500 --clients 4 --tag history >/dev/null
RSS_HIST=$(rss_mb)
HWM_HIST=$(hwm_mb)
TOTAL=$(/usr/bin/sqlite3 "$WORK/data/corral.db" 'select count(*) from jobs' 2>/dev/null || echo "?")

/usr/bin/python3 - "$R" "$FLOOR" "$L" "$RSS_RUN" "$HWM_RUN" "$RSS_HIST" "$HWM_HIST" "$TOTAL" \
  "$SLURM_ACCEPT" "$SLURM_COMPLETE" <<'PY'
import json, sys
r, floor, lat = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
rss_run, hwm_run, rss_hist, hwm_hist, total = sys.argv[4:9]
sa, sc = float(sys.argv[9]), float(sys.argv[10])
rows = [
    ("accepted jobs/s", f"{r['accepted_per_s']:.0f}", f">= {20*sa:.0f} (20x Slurm {sa:.0f})", f"{r['accepted_per_s']/sa:.1f}x Slurm"),
    ("completed jobs/s", f"{r['completed_per_s']:.0f}", f">= {20*sc:.0f} (20x Slurm {sc:.0f})", f"{r['completed_per_s']/sc:.1f}x Slurm"),
    ("submit->start p50 ms, 20 jobs/s", f"{lat['start_p50_ms']:.0f}", "<= 20", "below saturation"),
    ("submit->start p99 ms, 20 jobs/s", f"{lat['start_p99_ms']:.0f}", "", ""),
    ("submit->start p50 ms, burst of all jobs", f"{r['start_p50_ms']:.0f}", "", "includes queueing behind the burst"),
    ("submit ack p50/p99 ms", f"{r['ack_p50_ms']:.1f}/{r['ack_p99_ms']:.1f}", "", ""),
    ("server RSS after run MB (peak)", f"{rss_run} ({hwm_run})", "", ""),
    (f"server RSS, {total} jobs in history MB (peak)", f"{rss_hist} ({hwm_hist})", "<= 200", ""),
    ("host spawn floor /bin/true per s", f"{floor['per_s']:.0f}", "", "bounds completed jobs/s (2 spawns per job: shim + job)"),
]
print()
print(f"{'figure':44} {'measured':>16}  {'target':28} note")
for name, val, target, note in rows:
    print(f"{name:44} {val:>16}  {target:28} {note}")
print(f"\njobs accepted {r['accepted']}/{r['jobs']}, submit errors {r['submit_errors']}, not succeeded {r['not_succeeded']}")
PY
