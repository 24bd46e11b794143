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

``alerts.jsonl`` is written the moment a digest has gone out, outside the writer lock;
``dq.alerts`` is its copy for analysts, brought up to date under the writer lock by
``reconcile``, which every alert step runs: a crash between the two is repaired by the next
run. The file is created owner-only.
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
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    with open(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "a", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def alert_row(record: dict) -> list:
    """The ``dq.alerts`` row of a key's latest ``alerts.jsonl`` record."""
    return [record["key"], record.get("severity"), record.get("kind"), record.get("title"), record.get("detail"),
            record.get("action"), record.get("delivery"), json.dumps(record.get("counts") or {}, sort_keys=True),
            record.get("email_status"), record.get("webhook_status"), record.get("alerted_at"), record.get("run_id")]


def reconcile(con: duckdb.DuckDBPyConnection, log_path: Path) -> int:
    """Make ``dq.alerts`` say what ``alerts.jsonl`` says, in one transaction; returns how many
    alerts were missing from it. Rows of keys the file does not have are kept."""
    latest = read_log(log_path)
    con.execute(ALERTS_DDL)
    keys = sorted(latest)
    present = {k for (k,) in con.execute("SELECT DISTINCT key FROM dq.alerts").fetchall()}
    con.begin()
    try:
        con.execute("DELETE FROM dq.alerts WHERE list_contains(?::VARCHAR[], key)", [keys])
        if keys:
            con.executemany("INSERT INTO dq.alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [alert_row(latest[k]) for k in keys])
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return len(set(keys) - present)
