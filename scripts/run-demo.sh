#!/usr/bin/env bash
# Starts a Corral server with the embedded defaults (SQLite in the data directory, local executor)
# in the background, logs the CLI in, and submits a small demo. `make stop` stops the server;
# running jobs keep running and are re-adopted by the next start.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA_DIR=${CORRAL_DATA_DIR:-$HOME/.local/share/corral}
PORT=${CORRAL_PORT:-8080}
PIDFILE="$DATA_DIR/server.pid"

if [ "${1:-}" = "--stop" ]; then
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    kill -TERM "$(cat "$PIDFILE")" && echo "stopped corral server (pid $(cat "$PIDFILE"))"
  else
    echo "no corral server running for $DATA_DIR"
  fi
  exit 0
fi

BUILD=${1:-build}
CORRAL="$PWD/$BUILD/corral"
mkdir -p "$DATA_DIR"

flags=(--data-dir "$DATA_DIR" --port "$PORT" --admin-token-file "$DATA_DIR/admin-token")
# The web UI as `make ui` builds it.
[ -f ui/dist/index.html ] && flags+=(--ui-dir "$PWD/ui/dist")
if ! ls /dev/nvidia[0-9]* >/dev/null 2>&1 || ! ldconfig -p | grep -q libnvidia-ml.so.1; then
  echo "No NVIDIA GPU found on this machine: starting with 2 simulated nodes of 4 simulated GPUs."
  echo "(Jobs really run here; their CUDA_VISIBLE_DEVICES name the simulated devices.)"
  flags+=(--simulate-gpus 4 --simulate-nodes 2)
fi

if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "corral server already running (pid $(cat "$PIDFILE"))"
else
  nohup "$CORRAL" server "${flags[@]}" >>"$DATA_DIR/server.log" 2>&1 &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null || {
    echo "the server did not start; see $DATA_DIR/server.log" >&2
    tail -n 20 "$DATA_DIR/server.log" >&2
    exit 1
  }
  echo "corral server running at http://127.0.0.1:$PORT (pid $(cat "$PIDFILE"), log $DATA_DIR/server.log)"
fi

if [ -f "$DATA_DIR/admin-token" ]; then
  "$CORRAL" login --url "http://127.0.0.1:$PORT" --token "$(cat "$DATA_DIR/admin-token")" >/dev/null
fi

echo
echo "Submitting a demo: a 2-GPU job, a 1-GPU job with a time limit, and a CPU job."
"$CORRAL" run --name demo-train --gpus 2 -- sh -c 'echo "training on GPUs $CUDA_VISIBLE_DEVICES"; for e in 1 2 3 4 5; do echo "epoch=$e loss=0.$((10-e))"; sleep 12; done'
"$CORRAL" run --name demo-eval --gpus 1 --time-limit 5m -- sh -c 'echo "eval on GPU $CUDA_VISIBLE_DEVICES"; sleep 45'
"$CORRAL" run --name demo-cpu -- sh -c 'uname -a; echo done'
sleep 1
echo
echo "\$ corral ps"
"$CORRAL" ps
echo
echo "\$ corral nodes"
"$CORRAL" nodes
echo
echo "Try (or put $PWD/$BUILD on your PATH): $BUILD/corral logs -f <id>   $BUILD/corral describe <id>   $BUILD/corral run --gpus 1 --follow -- sh -c 'echo \$CUDA_VISIBLE_DEVICES'"
if [ -f ui/dist/index.html ]; then
  echo "Web UI: http://127.0.0.1:$PORT/ (log in with an API token, e.g. the admin token in $DATA_DIR/admin-token, or a password set with \`corral passwd\`)"
fi
echo "Stop the server with: make stop"
