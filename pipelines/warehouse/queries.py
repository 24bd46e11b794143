"""Read-only questions to the analyst copy (``HOME/warehouse.duckdb``).

Only the copy is read, never the build database, so a sensor, the schedule, the CLI or the
publication never contends with a run that is writing. A copy not published yet, or
without the table asked for, answers with nothing.
"""

from __future__ import annotations

import duckdb

from pipelines import dq
from pipelines.contracts import SOURCES
from pipelines.dq import DeliveryStatus
from pipelines.settings import Home, connect


def read_warehouse(home: Home, sql: str, params: list | None = None) -> list[tuple]:
    if not home.warehouse_db.exists():
        return []
    con = connect(home.warehouse_db, read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    except duckdb.CatalogException:
        return []
    finally:
        con.close()


def seen_deliveries(home: Home) -> list[tuple[str, str, str]]:
    """(file_name, sha256, status) of every file a completed run took for good."""
    return read_warehouse(home, dq.SEEN_FILES_SQL)


def complete_months(home: Home) -> list[str]:
    """Months for which every source has an accepted delivery of that month itself."""
    rows = read_warehouse(home, f"SELECT DISTINCT source, month FROM {dq.DELIVERIES.qualified} WHERE status = ?",
                          [DeliveryStatus.ACCEPTED])
    by_source = {s: {m for src, m in rows if src == s} for s in SOURCES}
    return sorted(set.intersection(*by_source.values()))
