"""Where alerts are remembered: ``HOME/alerts.jsonl`` (the record and the memory of what was
alerted) and ``dq.alerts`` in the build database (the data-quality history analysts see).

``alerts.jsonl`` is append-only, one JSON object per line:

- ``event: "raised"``: an incident alerted for the first time, with every Incident field
  and the outcome of each channel (``email_status``, ``webhook_status``: ``sent``,
  ``failed`` or ``not_configured``, and ``email_error``/``webhook_error``);
- ``event: "resent"``: a later dispatch delivered an alert whose channel had failed; the
  line repeats the incident with the channels' statuses as they now stand.

The latest line of a key is its current state. A key with any line was alerted, and is
never raised again; a channel whose latest status is ``failed`` gets the alert in the next
digest sent on it. Lines that cannot be parsed (a write cut short) are skipped.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import duckdb

from pipelines.settings import ALERT_LOG  # noqa: F401 (named with the other home paths)

log = logging.getLogger(__name__)

ALERTS_DDL = """
CREATE SCHEMA IF NOT EXISTS dq;
CREATE TABLE IF NOT EXISTS dq.alerts (
    key VARCHAR, severity VARCHAR, kind VARCHAR, title VARCHAR, detail VARCHAR, action VARCHAR,
    delivery VARCHAR, counts_json VARCHAR, email_status VARCHAR, webhook_status VARCHAR,
    alerted_at TIMESTAMP, run_id VARCHAR
);
"""


def read_log(path: Path) -> dict[str, dict]:
    """The latest line of each key in ``alerts.jsonl`` (empty when there is none)."""
    latest: dict[str, dict] = {}
    if not path.exists():
        return latest
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                latest[record["key"]] = record
            except (ValueError, KeyError, TypeError):
                log.warning("%s line %d is not an alert record; skipped", path, number)
    return latest


def append_log(path: Path, records: list[dict]) -> None:
    if not records:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def write_history(con: duckdb.DuckDBPyConnection, raised: list[dict], resent: list[dict]) -> None:
    """Insert raised alerts into ``dq.alerts`` and bring resent ones' statuses up to date."""
    con.execute(ALERTS_DDL)
    if raised:
        con.executemany(
            "INSERT INTO dq.alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[r["key"], r["severity"], r["kind"], r["title"], r["detail"], r["action"], r["delivery"],
              json.dumps(r["counts"], sort_keys=True), r["email_status"], r["webhook_status"],
              r["alerted_at"], r["run_id"]] for r in raised])
    for r in resent:
        con.execute("UPDATE dq.alerts SET email_status = ?, webhook_status = ? WHERE key = ?",
                    [r["email_status"], r["webhook_status"], r["key"]])
