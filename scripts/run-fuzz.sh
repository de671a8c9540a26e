#!/usr/bin/env bash
# Runs libFuzzer targets for a fixed time each on their seed corpus; fails on the first crash.
# usage: run-fuzz.sh BUILD_DIR SECONDS TARGET...
# New inputs libFuzzer finds go to BUILD_DIR/corpus/<target> (the seeds in fuzz/corpus stay as
# they are); a crashing input is kept in BUILD_DIR/crashes/<target>/.
set -euo pipefail
build=$1 seconds=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for t in "$@"; do
  work="$build/corpus/$t" crashes="$build/crashes/$t"
  mkdir -p "$work" "$crashes"
  echo "fuzz $t: ${seconds}s"
  if ! ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
      "$build/fuzz/${t}_fuzz" "$work" "$root/fuzz/corpus/$t" -max_total_time="$seconds" \
      -rss_limit_mb=2048 -max_len=65536 -timeout=10 -artifact_prefix="$crashes/" \
      -print_final_stats=1 >"$build/fuzz-$t.log" 2>&1; then
    echo "fuzz $t: FAILED (see $build/fuzz-$t.log and $crashes/)"
    tail -40 "$build/fuzz-$t.log"
    status=1
  else
    grep -aE "stat::number_of_executed_units|stat::peak_rss_mb" "$build/fuzz-$t.log" | tr '\n' ' '
    echo
  fi
done
exit $status
