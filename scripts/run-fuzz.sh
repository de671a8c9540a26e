#!/usr/bin/env bash
# Runs libFuzzer targets for a fixed time each on their seed corpus; fails if any target crashes.
# usage: run-fuzz.sh BUILD_DIR SECONDS TARGET...
# Up to FUZZ_JOBS targets (default: the number of cores) run at once, each a single process on its
# own core for SECONDS, so each gets the time it would get alone and the whole run takes
# SECONDS x ceil(targets / FUZZ_JOBS).
# New inputs libFuzzer finds go to BUILD_DIR/corpus/<target> (the seeds in fuzz/corpus stay as
# they are); a crashing input is kept in BUILD_DIR/crashes/<target>/.
set -euo pipefail
build=$1 seconds=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${FUZZ_JOBS:-$(nproc)}

fuzz_one() {
  local t=$1 work="$build/corpus/$1" crashes="$build/crashes/$1" rc=0
  mkdir -p "$work" "$crashes"
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$build/fuzz/${t}_fuzz" "$work" "$root/fuzz/corpus/$t" -max_total_time="$seconds" \
    -rss_limit_mb=2048 -max_len=65536 -timeout=10 -artifact_prefix="$crashes/" \
    -print_final_stats=1 >"$build/fuzz-$t.log" 2>&1 || rc=$?
  echo "$rc" >"$build/fuzz-$t.rc"
}

for t in "$@"; do
  rm -f "$build/fuzz-$t.rc"
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  echo "fuzz $t: ${seconds}s"
  fuzz_one "$t" &
done
wait

status=0
for t in "$@"; do
  if [ "$(cat "$build/fuzz-$t.rc" 2>/dev/null)" != 0 ]; then
    echo "fuzz $t: FAILED (see $build/fuzz-$t.log and $build/crashes/$t/)"
    tail -40 "$build/fuzz-$t.log"
    status=1
  else
    echo -n "fuzz $t: "
    grep -aE "stat::number_of_executed_units|stat::peak_rss_mb" "$build/fuzz-$t.log" | tr '\n' ' '
    echo
  fi
done
exit $status
