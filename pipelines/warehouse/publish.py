"""Swap a finished build into place for analysts without ever blocking them.

Analysts open `HOME/warehouse.duckdb` read-only, in their own processes. The pipeline never
writes that file: it builds in `HOME/state/build/warehouse.duckdb` (the same file name, so
the catalog name that dbt's views refer to is the same) and, when a run has finished,
copies it beside the analyst file and renames it over it. A rename is atomic: a reader sees
the old file or the new one, never half of either, and a reader holding the old file open
keeps reading it undisturbed.

The copy is made compact: the build's contents are copied into a fresh file (``COPY FROM
DATABASE``), not its bytes. The build file keeps the blocks that dbt's drop-and-recreate
freed (it grew about 40% per monthly rebuild at national scale); a fresh copy holds only
what is in use, so the analyst file stays the size of its data.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from pipelines.settings import connect_writer, duckdb_config


def checkpoint(build_db: Path, spill: Path | None = None) -> None:
    """Fold the write-ahead log into the file so that the file alone is the whole database."""
    con = connect_writer(build_db, spill)
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def compact_copy(build_db: Path, target: Path, spill: Path | None = None) -> None:
    """Write the build's schemas, tables, views and macros into a new file at ``target``.

    The build is attached read-only under its own catalog name (its file's stem), which is
    the name dbt's views refer to and the name the copy takes when opened as the analyst file.
    """
    con = duckdb.connect(config=duckdb_config(spill))  # in memory: both files are attached
    try:
        con.execute(f'ATTACH {_quoted(str(build_db))} AS "{build_db.stem}" (READ_ONLY)')
        con.execute(f"ATTACH {_quoted(str(target))} AS fresh")
        con.execute(f'COPY FROM DATABASE "{build_db.stem}" TO fresh')
        con.execute("CHECKPOINT fresh")
        con.execute("DETACH fresh")
    finally:
        con.close()


def publish_warehouse(build_db: Path, warehouse_db: Path, spill: Path | None = None) -> int:
    """Copy the build, compacted, to the analyst path atomically; returns the bytes published."""
    checkpoint(build_db, spill)
    staging = warehouse_db.with_name(f".{warehouse_db.name}.incoming")
    for leftover in (staging, staging.with_name(staging.name + ".wal")):  # from a crashed publish
        leftover.unlink(missing_ok=True)
    compact_copy(build_db, staging, spill)
    with open(staging, "rb+") as handle:
        os.fsync(handle.fileno())
    os.chmod(staging, 0o644)
    os.replace(staging, warehouse_db)
    return warehouse_db.stat().st_size
