#!/usr/bin/env bash
# bench/http: latency of legitimate requests to a real `corral server` (simulated GPUs) alone,
# beside 2,000 idle connections and beside 200 slowloris sockets, then mixed load (GETs and job
# submissions, jobs starting and exiting all the time) at a target rate.
# Usage: bench/http/run.sh [BUILD_DIR] [--duration S] [--rate R] [--probe-duration S]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=build
if [[ $# -gt 0 && $1 != --* ]]; then BUILD=$1; shift; fi
DURATION=600
RATE=1000
PROBE=20
while [[ $# -gt 0 ]]; do
  case $1 in
    --duration) DURATION=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --probe-duration) PROBE=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
CORRAL="$PWD/$BUILD/corral"
BENCH="$PWD/$BUILD/bench/http/bench_http"
WORK=$(mktemp -d)
trap 'kill $(cat "$WORK/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$WORK"' EXIT
ulimit -n "$(ulimit -Hn)"

"$CORRAL" server --data-dir "$WORK/data" --port 0 --simulate-gpus 8 --simulate-nodes 16 \
  --admin-token-file "$WORK/token" --log-level warn >"$WORK/out" 2>"$WORK/err" &
echo $! >"$WORK/pid"
for _ in $(seq 1 200); do
  grep -q "listening on" "$WORK/out" 2>/dev/null && break
  sleep 0.05
done
URL=$(grep -o 'http://[0-9.:]*' "$WORK/out" | head -1)
TOKEN=$(cat "$WORK/token")

run() { "$BENCH" --url "$URL" --token "$TOKEN" "$@"; }
echo "== (a) authenticated GETs alone (${PROBE}s at 50 req/s)" >&2
A=$(run --scenario baseline --duration "$PROBE" --rate 50)
echo "== (b) beside 2,000 idle connections" >&2
B=$(run --scenario idle --background 2000 --duration "$PROBE" --rate 50)
echo "== (c) beside 200 slowloris sockets" >&2
C=$(run --scenario slowloris --background 200 --duration "$PROBE" --rate 50)
echo "== (d) mixed load: ${RATE} req/s for ${DURATION}s (10% job submissions)" >&2
D=$(run --scenario mixed --duration "$DURATION" --rate "$RATE" --connections 64)
RSS=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$(cat "$WORK/pid")/status")

/usr/bin/python3 - "$A" "$B" "$C" "$D" "$RSS" "$RATE" <<'PY'
import json, sys
a, b, c, d = (json.loads(x) for x in sys.argv[1:5])
rss, rate = sys.argv[5], float(sys.argv[6])
def types(r):
    return "  ".join(f"{k} p50 {v['p50_ms']:.1f} / p99 {v['p99_ms']:.1f} ms"
                     f"{' (' + str(v['failed']) + ' failed)' if v['failed'] else ''}"
                     for k, v in sorted(r["types"].items()))
rows = [
    ("(a) p50/p99 ms, alone", f"{a['p50_ms']:.1f}/{a['p99_ms']:.1f}", "", types(a)),
    ("(b) p50/p99 ms, 2,000 idle conns", f"{b['p50_ms']:.1f}/{b['p99_ms']:.1f}", "p99 <= 50",
     f"failed {b['failed']}/{b['total']}; idle sockets reopened {b['background_reopened']}"),
    ("(c) p50/p99 ms, 200 slowloris", f"{c['p50_ms']:.1f}/{c['p99_ms']:.1f}", "p99 <= 50",
     f"failed {c['failed']}/{c['total']}; trickling sockets closed {c['background_reopened']}"),
    ("(d) failed valid requests", f"{d['failed']}/{d['total']}", "0", json.dumps(
        {k: v["failures"] for k, v in d["types"].items() if v["failures"]}) if d["failed"] else ""),
    ("(d) achieved req/s", f"{d['achieved_rate']:.0f}", f">= {rate:.0f}", f"over {d['duration_s']:.0f} s"),
    ("(d) p50/p99 ms", f"{d['p50_ms']:.1f}/{d['p99_ms']:.1f}", "", types(d)),
    ("server peak RSS MB", rss, "", ""),
]
print()
print(f"{'figure':36} {'measured':>14}  {'target':10} note")
for name, val, target, note in rows:
    print(f"{name:36} {val:>14}  {target:10} {note}")
PY
