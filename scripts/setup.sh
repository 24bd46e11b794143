#!/usr/bin/env bash
# Make .venv/ at the repo root with the locked versions, install the project, parse dbt.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
pip_install() {
  # This machine's pip config names local mirrors that may be absent: drop those warnings only.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "$@" 2>&1 | { grep -v '^WARNING: Location' || true; }
}
pip_install -r requirements.lock
pip_install --no-deps -e .
# @dbt_assets reads the manifest at import: parse once here so every entry point has it.
CHECKPOINT_BUILD_DB="${CHECKPOINT_BUILD_DB:-/tmp/checkpoint-parse.duckdb}" \
  .venv/bin/dbt parse --quiet --project-dir dbt_project --profiles-dir dbt_project
echo "setup: .venv ready"
