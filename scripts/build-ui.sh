#!/usr/bin/env bash
# Builds the web UI into ui/dist (served by `corral server --ui-dir ui/dist`): `npm ci` when the
# lockfile changed since the last install, `vite build` when a source changed since the last build.
set -euo pipefail
cd "$(dirname "$0")/../ui"
command -v npm >/dev/null || { echo "npm is missing: run ./scripts/install-deps.sh build" >&2; exit 1; }

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ ! -f dist/index.html ] || [ -n "$(find src public index.html package-lock.json vite.config.ts tsconfig.json \
      scripts -newer dist/index.html -print -quit)" ]; then
  npm run --silent build
else
  echo "ui/dist is up to date"
fi
