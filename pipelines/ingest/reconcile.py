"""What the dq records say against what the tables hold: the checks behind the ingest asset.

``rows_reconcile`` counts, for every delivery, the rows actually in ``raw.*`` and in
``dq.quarantined_rows`` and compares them with the counts ``dq.deliveries`` recorded; it
does not re-add the numbers of one in-memory split, so a lost or extra row shows. The GX
gate's results are read back from ``dq.validation_results``, where a failure is recorded
before the delivery is rejected.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.contracts import raw_tables
from pipelines.dq import DeliveryStatus


@dataclass(frozen=True)
class Discrepancy:
    file_name: str
    status: str | None
    rows_read: int | None
    rows_loaded: int | None
    rows_quarantined: int | None
    rows_duplicate: int | None
    rows_in_raw: int
    rows_in_quarantine: int
    rows_folded: int  # removed from raw by a later snapshot (dq.snapshot_folds)


def reconciliation_failures(con: duckdb.DuckDBPyConnection) -> list[Discrepancy]:
    """Deliveries whose recorded counts disagree with the rows in raw and in quarantine.

    - an accepted delivery: raw holds exactly rows_loaded of its rows, less those a later
      snapshot folded away (``dq.snapshot_folds``), and rows_read = loaded + quarantined +
      duplicate;
    - a superseded one: raw holds none of its rows (a late lower version recorded
      rows_loaded 0, so rows_read may exceed the sum);
    - accepted or superseded: dq.quarantined_rows holds exactly rows_quarantined of its rows;
    - any other fate: nothing in raw or quarantine; and no raw row without a delivery.

    A file recorded more than once (refused by the GX gate, taken again by a later run) is
    judged by its latest row.
    """
    raw = " UNION ALL ".join(
        f"SELECT delivery_sha256 AS sha256, file_name FROM raw.{name}" for name in raw_tables())
    accepted, superseded = f"'{DeliveryStatus.ACCEPTED}'", f"'{DeliveryStatus.SUPERSEDED}'"
    rows = con.execute(f"""
        WITH in_raw AS (SELECT sha256, file_name, count(*) AS n FROM ({raw}) GROUP BY ALL),
        in_quarantine AS (SELECT sha256, file_name, count(*) AS n FROM dq.quarantined_rows GROUP BY ALL),
        folded AS (SELECT sha256, file_name, sum(rows_folded) AS n FROM dq.snapshot_folds GROUP BY ALL),
        -- A file the GX gate refused is taken again: its latest row is the one that counts.
        latest AS (SELECT * FROM dq.deliveries
                   QUALIFY row_number() OVER (PARTITION BY sha256, file_name ORDER BY seen_order DESC) = 1),
        counted AS (
            SELECT coalesce(d.file_name, r.file_name, q.file_name) AS file_name, d.status, d.seen_order,
                   d.rows_read, d.rows_loaded, d.rows_quarantined, d.rows_duplicate,
                   coalesce(r.n, 0) AS rows_in_raw, coalesce(q.n, 0) AS rows_in_quarantine,
                   coalesce(f.n, 0) AS rows_folded
            FROM latest d
            FULL JOIN in_raw r ON r.sha256 = d.sha256 AND r.file_name = d.file_name
            FULL JOIN in_quarantine q ON q.sha256 = coalesce(d.sha256, r.sha256)
                                     AND q.file_name = coalesce(d.file_name, r.file_name)
            LEFT JOIN folded f ON f.sha256 = d.sha256 AND f.file_name = d.file_name
        )
        SELECT file_name, status, rows_read, rows_loaded, rows_quarantined, rows_duplicate,
               rows_in_raw, rows_in_quarantine, rows_folded
        FROM counted
        WHERE NOT coalesce(CASE
            WHEN status = {accepted} THEN
                rows_in_raw + rows_folded = rows_loaded AND rows_in_quarantine = rows_quarantined
                AND rows_read = rows_loaded + rows_quarantined + rows_duplicate
            WHEN status = {superseded} THEN
                rows_in_raw = 0 AND rows_in_quarantine = rows_quarantined
                AND rows_read >= rows_loaded + rows_quarantined + rows_duplicate
            WHEN status IS NOT NULL THEN rows_in_raw = 0 AND rows_in_quarantine = 0
            ELSE FALSE END, FALSE)
        ORDER BY seen_order NULLS LAST, file_name
    """).fetchall()
    return [Discrepancy(*row) for row in rows]


def gate_results(con: duckdb.DuckDBPyConnection, seen_orders: list[int]) -> tuple[int, list[tuple]]:
    """(expectations run, failed ones as (file_name, suite, expectation, column, unexpected))
    for the given dq.deliveries rows (those a run recorded)."""
    run = con.execute("SELECT count(*) FROM dq.validation_results WHERE list_contains(?::INTEGER[], seen_order)",
                      [seen_orders]).fetchone()[0]
    failed = con.execute("""
        SELECT file_name, suite, expectation, column_name, unexpected_count FROM dq.validation_results
        WHERE NOT success AND list_contains(?::INTEGER[], seen_order) ORDER BY file_name, suite, expectation
    """, [seen_orders]).fetchall()
    return run, failed
