#!/usr/bin/env bash
# The scheduling core stays pure (DESIGN §3): no I/O, JSON, SQL, HTTP or threads in src/sched.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=$(grep -rnE '#include\s*[<"](sqlite3|nlohmann/|boost/|httplib|yaml-cpp/|curl/|thread>|mutex>|future>|condition_variable>|fstream>|iostream>|filesystem>|unistd\.h>|fcntl\.h>|sys/)' src/sched || true)
if [ -n "$bad" ]; then
  echo "src/sched must stay free of I/O, JSON, SQL and threads; forbidden includes:" >&2
  echo "$bad" >&2
  exit 1
fi
echo "sched purity: ok"
