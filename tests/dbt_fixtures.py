"""Hand-made `raw` and `dq` rows for tests of the dbt project (and anything else that reads
the build database), without running ingest.

The tables themselves are created by ingest's own DDL (`pipelines.ingest.store.ensure_schema`,
declared by the source contracts; docs/architecture.md describes them), so the fixtures can
never drift from what ingest writes. Rows are given as dicts by column name; lineage a test
does not care about is filled in from the delivery the rows came from.

    con = duckdb.connect(path)
    create_raw_and_dq_tables(con)
    add_delivery(con, "rms", "2024-01", rows_loaded=1)
    insert_rows(con, "raw.rms_arrests", [{...}], source="rms", month="2024-01")
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from pipelines.ingest.store import ensure_schema

_FILE_PATTERNS = {
    "rms": "rms/arrests_{yyyymm}{suffix}.csv",
    "custody": "custody/custody_{yyyymm}{suffix}.csv",
    "programme": "programme/checkpoint_programme_{yyyymm}{suffix}.xlsx",
}


def create_raw_and_dq_tables(con) -> None:
    """Create the schemas `raw` and `dq` with every table ingest writes, empty."""
    ensure_schema(con)


def file_name(source: str, month: str, version: int = 1) -> str:
    """A delivery's landing-relative file name, e.g. custody/custody_202401_v2.csv."""
    suffix = "" if version == 1 else f"_v{version}"
    return _FILE_PATTERNS[source].format(yyyymm=month.replace("-", ""), suffix=suffix)


def fake_sha256(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def _columns(con, table: str) -> list[str]:
    return [row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()]


def add_delivery(
    con,
    source: str | None,
    month: str | None,
    version: int = 1,
    status: str = "accepted",
    *,
    rows_loaded: int = 0,
    name: str | None = None,
    reason: str | None = None,
) -> None:
    """One row of dq.deliveries. The row counts are NULL unless accepted or superseded."""
    name = name or file_name(source, month, version)
    counted = status in ("accepted", "superseded")
    (seen_order,) = con.execute("SELECT count(*) + 1 FROM dq.deliveries").fetchall()[0]
    row = {
        "source": source, "month": month, "version": version if source else None,
        "file_name": name, "sha256": fake_sha256(name, status), "status": status,
        "rows_read": rows_loaded if counted else None,
        "rows_loaded": rows_loaded if counted else None,
        "rows_quarantined": 0 if counted else None,
        "rows_duplicate": 0 if counted else None,
        "reason": reason, "seen_order": seen_order,
    }
    insert_rows(con, "dq.deliveries", [row])


def insert_rows(
    con,
    table: str,
    rows: Iterable[Mapping[str, object]],
    *,
    source: str | None = None,
    month: str | None = None,
    version: int = 1,
) -> int:
    """Insert rows into `schema.table` (e.g. "raw.rms_arrests"); columns not given are NULL.

    For raw tables, `source`/`month`/`version` name the delivery the rows came from and fill
    in the lineage columns a row does not give itself (row_number counts from 1).
    """
    names = _columns(con, table)
    fname = file_name(source, month, version) if source and month else None
    count = 0
    for number, row in enumerate(rows, start=1):
        unknown = set(row) - set(names)
        if unknown:
            raise KeyError(f"{table} has no column(s) {sorted(unknown)}")
        values = dict(row)
        if fname is not None:
            values.setdefault("source_month", month)
            values.setdefault("delivery_version", version)
            values.setdefault("file_name", fname)
            values.setdefault("delivery_sha256", fake_sha256(fname, "accepted"))
            values.setdefault("row_number", number)
            values.setdefault("row_digest", fake_sha256(fname, number, sorted(row.items())))
        quoted = ", ".join(f'"{n}"' for n in names)
        placeholders = ", ".join("?" for _ in names)
        con.execute(f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})",
                    [values.get(n) for n in names])
        count += 1
    return count
