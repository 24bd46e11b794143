#!/usr/bin/env bash
# Fresh machine to a publication: set up, generate synthetic extracts, run the pipeline.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
DEMO=demo
# The demo makes its own pseudonym key, outside the warehouse home, owner-only from the
# moment it exists (umask in a subshell: a chmod afterwards would leave it readable a moment).
if [ ! -s "$DEMO/secrets/pseudonym.key" ]; then
  (umask 077 && mkdir -p "$DEMO/secrets" && .venv/bin/python -c "import secrets; print(secrets.token_hex(32))" > "$DEMO/secrets/pseudonym.key")
fi
export CHECKPOINT_PSEUDONYM_KEY_FILE="$PWD/$DEMO/secrets/pseudonym.key"
rm -rf "$DEMO/landing"
# Twelve months ending last month, as a live landing folder would hold.
START=$(.venv/bin/python -c "import datetime as d; t=d.date.today(); m=t.year*12+t.month-1-12; print(f'{m//12:04d}-{m%12+1:02d}')")
# The generator's own report (every planted fault) stays in a file: the run says what happened.
.venv/bin/checkpoint-warehouse generate --out "$DEMO/landing" --start "$START" --months 12 --scale durham --seed 7 > "$DEMO/generate.txt"
echo "Generated 12 months of synthetic extracts from $START into $DEMO/landing (planted faults: $DEMO/generate.txt)"
set +e
.venv/bin/checkpoint-warehouse run --landing "$DEMO/landing" --home "$DEMO/home"
status=$?
set -e
# Exit 2 means a delivery was rejected whole (the generator plants one); the run completed.
if [ "$status" -ne 0 ] && [ "$status" -ne 2 ]; then exit "$status"; fi
echo
echo "Analyst warehouse: $DEMO/home/warehouse.duckdb"
echo "Publications:      $(ls -d "$DEMO"/home/publications/*/ 2>/dev/null | tr '\n' ' ')"
echo "Alerts:            $DEMO/home/alerts.jsonl"
echo "What is in force, late and next: .venv/bin/checkpoint-warehouse status --home $DEMO/home --landing $DEMO/landing"
echo "The quarantined rows:            .venv/bin/checkpoint-warehouse quarantine --home $DEMO/home"
echo "The release calendar:            .venv/bin/checkpoint-warehouse calendar"
