#!/usr/bin/env bash
# Set up (idempotent) and run every test. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The bulletin's browser test needs Debian's chromium.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "test: chromium not installed; browser test will be skipped"
fi
# The whole suite takes about 10 minutes on two cores; the tests marked `slow` (runs of the
# whole pipeline over long landings, the Dagster UI, real tmpfs faults) take about 5 of them.
# By default they are left out; run everything with: bash scripts/test.sh -m ""
exec .venv/bin/python -m pytest -m "not slow" "$@"
