#!/usr/bin/env bash
# Lighthouse on the Overview's first view (mobile + desktop), against the app served the
# way production serves it (the Procfile's gunicorn). A benchmark, not a test: CI never
# runs it and needs no npm. Usage (from anywhere):
#   benchmarks/lighthouse/run.sh                 # 3 runs per page and preset, writes RESULTS.md
#   benchmarks/lighthouse/run.sh --runs 1 --no-write --label "try X"
# Options are run.py's (--help). Needs node >= 18 and Debian's Chromium (/usr/bin/chromium).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [ ! -x "$here/node_modules/.bin/lighthouse" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
python="${PYTHON:-$root/.venv/bin/python}"
exec "$python" "$here/run.py" "$@"
