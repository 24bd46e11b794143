"""What a run has to do, decided from the landing folder and the last published warehouse.

Reads only the analyst copy (`HOME/warehouse.duckdb`, read-only), so a sensor or the CLI
never contends with a run that is writing the build database.
"""


from pathlib import Path

import duckdb

from pipelines.contracts import SOURCES
from pipelines.ingest.discovery import LandedFile, scan_landing, unseen_files
from pipelines.settings import Home


def _read_warehouse(home: Home, sql: str) -> list[tuple]:
    if not home.warehouse_db.exists():
        return []
    con = duckdb.connect(str(home.warehouse_db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    except duckdb.CatalogException:
        return []
    finally:
        con.close()


def pending_files(landing: Path, home: Home) -> list[LandedFile]:
    """Files in the landing folder that no completed run has seen."""
    seen = _read_warehouse(home, "SELECT file_name, sha256, status FROM dq.deliveries")
    return unseen_files(scan_landing(landing), seen)


def complete_months(home: Home) -> list[str]:
    """Months for which every source has an accepted delivery of that month itself."""
    rows = _read_warehouse(home, "SELECT DISTINCT source, month FROM dq.deliveries WHERE status = 'accepted'")
    by_source = {s: {m for src, m in rows if src == s} for s in SOURCES}
    return sorted(set.intersection(*by_source.values()))


def needs_full_run(landing: Path, home: Home) -> bool:
    return not home.warehouse_db.exists() or bool(pending_files(landing, home))
