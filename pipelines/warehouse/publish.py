"""Swap a finished build into place for analysts without ever blocking them.

Analysts open `HOME/warehouse.duckdb` read-only, in their own processes. The pipeline never
writes that file: it builds in `HOME/state/build/warehouse.duckdb` (the same file name, so
the catalog name that dbt's views refer to is the same) and, when a run has finished,
copies it beside the analyst file and renames it over it. A rename is atomic: a reader sees
the old file or the new one, never half of either, and a reader holding the old file open
keeps reading it undisturbed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb


def checkpoint(build_db: Path) -> None:
    """Fold the write-ahead log into the file so that the file alone is the whole database."""
    con = duckdb.connect(str(build_db))
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()


def publish_warehouse(build_db: Path, warehouse_db: Path) -> int:
    """Copy the build to the analyst path atomically; returns the bytes published."""
    checkpoint(build_db)
    staging = warehouse_db.with_name(f".{warehouse_db.name}.incoming")
    shutil.copyfile(build_db, staging)
    with open(staging, "rb+") as handle:
        os.fsync(handle.fileno())
    os.chmod(staging, 0o644)
    os.replace(staging, warehouse_db)
    return warehouse_db.stat().st_size
