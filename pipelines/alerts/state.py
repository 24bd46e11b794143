"""Incidents about the state of the warehouse on a given day, whatever this run delivered.

- **Orphans still waiting after a month** (``dq.orphan_references``): a row delivered for
  month M whose reference (custody → arrest, contract → custody, session → contract) has
  not arrived is *overdue* once the whole of month M+1 has passed, that is when
  M <= month(today) - 2: its delivery was due early in M+1 and a full month has gone by
  since. M is the row's ``source_month``, except for a snapshot table (contracts, listed
  again by every workbook, so that their row's month is always the latest workbook's):
  there M is the earliest month the key was loaded (from its raw table), when the wait
  began. One incident per (source_table, M), counted by missing table.
- **Freshness** (``dq.deliveries``): for each source and each month M from the earliest
  month with an accepted delivery of any source up to the month before today's, no
  accepted delivery of (source, M) and ``today`` after the fifth working day of M+1 (the
  publication's release date for M) → incident ``freshness:<source>:<M>``. On the fifth
  working day itself the delivery is not yet late. A delivery rejected whole does not count.
- **Completed contracts awaiting expungement** (``marts.monthly_measures``, or
  ``marts.monthly_measure_cells``): the ``awaiting_expungement`` total of the latest
  period that has a value, when it is above 0. Each period's stock is a new incident, so
  a backlog that persists is alerted once a month, with that month's figure.
- **Failed cross-source checks** (``dq.consistency_checks``): every row with
  ``passed = false``, once per (check_name, period); ``severity`` ``warn``/``warning``
  gives a warning, anything else an error.

A table that does not exist yet gives no incidents.
"""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import date

import duckdb

from pipelines.alerts._db import table_exists
from pipelines.alerts.incident import Incident, delivery_file_name, plural
from pipelines.calendar_uk import release_date
from pipelines.contracts import SOURCES, all_contracts
from pipelines.months import add_months, month_range

MEASURE_TABLES = (("marts", "monthly_measures"), ("marts", "monthly_measure_cells"))


def today(environ=os.environ) -> date:
    """The date freshness is judged on; CHECKPOINT_TODAY (YYYY-MM-DD) pins it for tests and replays."""
    pinned = environ.get("CHECKPOINT_TODAY")
    return date.fromisoformat(pinned) if pinned else date.today()


def collect_state_incidents(con: duckdb.DuckDBPyConnection, today: date) -> list[Incident]:
    """Every incident the warehouse's state shows on ``today``; see the module's docstring."""
    return (
        freshness_incidents(con, today)
        + consistency_incidents(con)
        + orphan_incidents(con, today)
        + expungement_incidents(con)
    )


def _month_of(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def freshness_incidents(con: duckdb.DuckDBPyConnection, today: date) -> list[Incident]:
    if not table_exists(con, "dq", "deliveries"):
        return []
    rows = con.execute("""
        SELECT source, month, status, file_name FROM dq.deliveries
        WHERE source IS NOT NULL AND month IS NOT NULL
    """).fetchall()
    accepted = {(s, m) for s, m, status, _ in rows if status in ("accepted", "superseded")}
    if not accepted:
        return []
    rejected = defaultdict(list)
    for s, m, status, file_name in rows:
        if status == "rejected":
            rejected[(s, m)].append(file_name)
    first = min(m for _, m in accepted)
    incidents = []
    for source in SOURCES:
        for month in month_range(first, add_months(_month_of(today), -1)):
            due = release_date(month)
            if (source, month) in accepted or today <= due:
                continue
            expected = delivery_file_name(source, month)
            tried = sorted(rejected.get((source, month), ()))
            tried_note = (f" {plural(len(tried), 'delivery', 'deliveries')} for the month "
                          f"{'was' if len(tried) == 1 else 'were'} rejected: {', '.join(tried)}." if tried else "")
            incidents.append(Incident(
                key=f"freshness:{source}:{month}",
                severity="error",
                kind="freshness",
                title=f"Late delivery: {source} for {month}",
                detail=f"No accepted {source} delivery for {month}: it was due by {_long_date(due)}, "
                       f"the fifth working day of {add_months(month, 1)} and the release date of the "
                       f"{month} publication, which waits for it.{tried_note}",
                action=f"Chase the {source} supplier for {expected}"
                       f"{' (or a corrected version of the rejected file)' if tried else ''}; "
                       "the next run takes it as soon as it is in the landing folder.",
                delivery=None,
                counts={"days_late": (today - due).days},
            ))
    return incidents


def _long_date(d: date) -> str:
    return f"{d:%A} {d.day} {d:%B %Y}"


def consistency_incidents(con: duckdb.DuckDBPyConnection) -> list[Incident]:
    if not table_exists(con, "dq", "consistency_checks"):
        return []
    rows = con.execute("""
        SELECT check_name, period, left_value, right_value, difference, relative_difference,
               tolerance, severity
        FROM dq.consistency_checks WHERE passed = FALSE
        ORDER BY period, check_name
    """).fetchall()
    incidents, seen = [], set()
    for check, period, left, right, difference, relative, tolerance, severity in rows:
        key = f"consistency:{check}:{period}"
        if key in seen:
            continue
        seen.add(key)
        values = {"left_value": left, "right_value": right, "difference": difference,
                  "relative_difference": relative, "tolerance": tolerance}
        counts = {k: _number(v) for k, v in values.items() if v is not None}
        shown = ", ".join(f"{k.replace('_', ' ')} {_fmt(v)}" for k, v in counts.items())
        incidents.append(Incident(
            key=key,
            severity="warning" if str(severity or "").lower() in ("warn", "warning") else "error",
            kind="consistency",
            title=f"Cross-source check failed: {check} for {period}",
            detail=f"The check {check} compares the same figure from two sources for {period} and "
                   f"they disagree beyond its tolerance: {shown}.",
            action=f"Compare the {period} deliveries of both sources in dq.deliveries and "
                   "dq.quarantined_rows: a late, rejected or partly quarantined delivery is the usual "
                   f"cause. If both are complete, raise the difference with both suppliers before the "
                   f"{period} figures are published.",
            delivery=None,
            counts=counts,
        ))
    return incidents


def _number(value) -> int | float:
    value = float(value)
    return int(value) if value.is_integer() else value


def _fmt(value: int | float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.4g}"


def _source_of_table() -> dict[str, str]:
    """Raw table name (bare or ``raw.``-qualified) or contract table name -> its source."""
    out = {}
    for contract in all_contracts():
        for table in contract.tables:
            out[table.raw_table] = out[f"raw.{table.raw_table}"] = out[table.name] = contract.source
    return out


def _waiting_since_sql(con: duckdb.DuckDBPyConnection) -> str:
    """SQL for the month an orphan's wait began (see the module's docstring), over
    ``dq.orphan_references o``."""
    cases = []
    for contract in all_contracts():
        for table in contract.tables:
            if (table.earlier_delivery_key_rule == "snapshot" and len(table.key) == 1
                    and table_exists(con, "raw", table.raw_table)):
                cases.append(
                    f"WHEN o.source_table IN ('raw.{table.raw_table}', '{table.raw_table}') THEN "
                    f"(SELECT min(r.source_month) FROM raw.{table.raw_table} r "
                    f"WHERE CAST(r.{table.key[0]} AS VARCHAR) = o.row_key)")
    if not cases:
        return "o.source_month"
    return f"coalesce(CASE {' '.join(cases)} END, o.source_month)"


def orphan_incidents(con: duckdb.DuckDBPyConnection, today: date) -> list[Incident]:
    if not table_exists(con, "dq", "orphan_references"):
        return []
    overdue_up_to = add_months(_month_of(today), -2)
    rows = con.execute(f"""
        WITH waiting AS (
            SELECT o.source_table, o.missing_table, o.file_name, {_waiting_since_sql(con)} AS since
            FROM dq.orphan_references o
        )
        SELECT source_table, since, missing_table, count(*), list(DISTINCT file_name)
        FROM waiting
        WHERE since <= ?
        GROUP BY ALL ORDER BY since, source_table, missing_table
    """, [overdue_up_to]).fetchall()
    grouped: dict[tuple[str, str], list] = defaultdict(list)
    for source_table, month, missing_table, n, files in rows:
        grouped[(source_table, month)].append((missing_table, n, files))
    sources = _source_of_table()
    incidents = []
    for (source_table, month), parts in grouped.items():
        total = sum(n for _, n, _ in parts)
        files = sorted({f for _, _, fs in parts for f in fs if f})
        missing = ", ".join(f"{m} ({n:,})" for m, n, _ in parts)
        suppliers = sorted({sources.get(m, m) for m, _, _ in parts})
        incidents.append(Incident(
            key=f"orphans:{source_table}:{month}",
            severity="warning",
            kind="orphans",
            title=f"{plural(total, 'row')} of {source_table} from {month} still waiting for their references",
            detail=f"{plural(total, 'row')} of {source_table} first delivered for {month} "
                   f"({', '.join(files) or 'file unknown'}) refer to keys that have still not arrived "
                   f"more than a month later: {missing}. They are held out of the figures until the "
                   "keys arrive.",
            action=f"Check in dq.deliveries that every {' and '.join(suppliers)} delivery up to "
                   f"{month} has been accepted. If so, ask the {' and '.join(suppliers)} supplier "
                   f"whether the referenced records are missing from their extracts, and the "
                   f"{sources.get(source_table, source_table)} supplier whether the references are "
                   "wrong. The rows are listed in dq.orphan_references.",
            delivery=", ".join(files) or None,
            counts={"rows_waiting": total, **{f"missing: {m}": n for m, n, _ in parts}},
        ))
    return incidents


def expungement_incidents(con: duckdb.DuckDBPyConnection) -> list[Incident]:
    table = next((f"{s}.{t}" for s, t in MEASURE_TABLES if table_exists(con, s, t)), None)
    if table is None:
        return []
    found = con.execute(f"""
        SELECT period, value FROM {table}
        WHERE measure = 'awaiting_expungement' AND breakdown = 'total' AND value IS NOT NULL
        ORDER BY period DESC LIMIT 1
    """).fetchone()
    if not found or not found[1] or float(found[1]) <= 0:
        return []
    period, n = found[0], int(round(float(found[1])))
    return [Incident(
        key=f"awaiting_expungement:{period}",
        severity="warning",
        kind="awaiting_expungement",
        title=f"{plural(n, 'completed contract')} waiting more than 28 days for expungement "
              f"(end of {period})",
        detail=f"As at the end of {period}, {plural(n, 'contract')} completed at least 28 days "
               f"earlier {'has' if n == 1 else 'have'} an arrest record that is not expunged. A "
               "completed contract ends the case without prosecution and its record is to be expunged.",
        action="Ask the RMS team to expunge the arrest records of these completed contracts; the "
               "contracts are listed by the warehouse's contract facts (completed, status_date more "
               "than 28 days ago, arrest not EXPUNGED). The next RMS extract shows them expunged.",
        delivery=None,
        counts={"contracts_awaiting_expungement": n},
    )]
