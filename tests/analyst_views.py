"""How the analyst file's intermediate views compare with the build's intermediate tables."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from pipelines.paths import DBT_PROJECT_DIR
from pipelines.warehouse.publish import analyst_copies


def working_sets() -> set[str]:
    """The build's working sets (`analyst_copy: omit` in the project's manifest): which keys a
    build rebuilt, not published."""
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
    return {name for (_, name), copy in analyst_copies(manifest).items() if copy == "omit"}


def analyst_views_against_build(home: Path) -> tuple[dict[str, str], set[str], dict[str, int]]:
    """(table type of each analyst intermediate, the build's intermediate tables other than its
    working sets, rows that differ between each view and the build's table)."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        con.execute(f"ATTACH '{home / 'state' / 'build' / 'warehouse.duckdb'}' AS build (READ_ONLY)")
        kinds = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables "
                                 "WHERE table_catalog = 'warehouse' AND table_schema = 'intermediate'").fetchall())
        built = {name for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'build' AND schema_name = 'intermediate'"
        ).fetchall()} - working_sets()
        differences = {}
        for name in sorted(set(kinds) & built):
            view, table = f"warehouse.intermediate.{name}", f"build.intermediate.{name}"
            differences[name] = con.execute(
                f"SELECT count(*) FROM ((SELECT * FROM {view} EXCEPT ALL SELECT * FROM {table}) "
                f"UNION ALL (SELECT * FROM {table} EXCEPT ALL SELECT * FROM {view}))").fetchone()[0]
        return kinds, built, differences
    finally:
        con.close()
