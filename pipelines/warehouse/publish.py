"""Swap a finished build into place for analysts without ever blocking them.

Analysts open `HOME/warehouse.duckdb` read-only, in their own processes. The pipeline never
writes that file: it builds in `HOME/state/build/warehouse.duckdb` (the same file name, so
the catalog name that dbt's views refer to is the same) and, when a run has finished,
copies it beside the analyst file and renames it over it. A rename is atomic: a reader sees
the old file or the new one, never half of either, and a reader holding the old file open
keeps reading it undisturbed.

The copy is made compact: the build's contents are copied into a fresh file (its objects
with ``COPY FROM DATABASE ... (SCHEMA)``, then each table's rows), not its bytes. The build
file keeps the blocks that dbt's drop-and-recreate freed (it grew about 40% per monthly
rebuild at national scale); a fresh copy holds only what is in use, so the analyst file
stays the size of its data.

Models that dbt materialises as tables only to build faster (``meta: {analyst_copy: view}``
in ``dbt_project.yml``: the intermediate models) reach the analyst file as views of their
compiled SQL, as they were before: the copy then costs, and the file holds, the data once.
That SQL is kept from the last build that rebuilt every key (a key-incremental build's SQL
selects the changed keys only). The build's working sets (``analyst_copy: omit``: which keys
a build rebuilt) are left out.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb

from pipelines.dbt.incremental import definitions_fingerprint, write_record
from pipelines.settings import Home, connect_writer, duckdb_config


def checkpoint(build_db: Path, spill: Path | None = None) -> None:
    """Fold the write-ahead log into the file so that the file alone is the whole database."""
    con = connect_writer(build_db, spill)
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


ANALYST_COPIES = ("view", "omit")  # what `meta: {analyst_copy: ...}` may ask of a model


def analyst_copies(manifest: dict) -> dict[tuple[str, str], str]:
    """(schema, name) -> ``view`` or ``omit``: the models ``meta: {analyst_copy: ...}`` marks."""
    copies = {(node["schema"], node["alias"]): node["config"]["meta"]["analyst_copy"]
              for node in manifest["nodes"].values()
              if node["resource_type"] == "model" and node["config"].get("meta", {}).get("analyst_copy")}
    unknown = {f"{schema}.{name}: {copy}" for (schema, name), copy in copies.items() if copy not in ANALYST_COPIES}
    if unknown:
        raise ValueError(f"analyst_copy must be one of {', '.join(ANALYST_COPIES)}; got {', '.join(sorted(unknown))}")
    return copies


def analyst_view_sql(manifest: dict) -> dict[tuple[str, str], str]:
    """(schema, name) -> compiled SQL of each ``analyst_copy: view`` model the manifest's build
    compiled. Only a build that rebuilt every key compiled the SQL analysts may see: a
    key-incremental model's SQL otherwise selects the changed keys only."""
    copies = analyst_copies(manifest)
    return {(node["schema"], node["alias"]): node["compiled_code"] for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and copies.get((node["schema"], node["alias"])) == "view"
            and node.get("compiled_code")}


def record_analyst_views(manifest: dict, record: Path) -> None:
    """Keep the views' SQL of a build that rebuilt every key, for the builds that follow
    (``pipelines/dbt/definitions.py`` calls this after such a build)."""
    views = [{"schema": schema, "name": name, "sql": sql} for (schema, name), sql in analyst_view_sql(manifest).items()]
    write_record(record, {"definitions": definitions_fingerprint(manifest), "views": views})


def views_for_analysts(dbt_target: Path, record: Path) -> tuple[dict[tuple[str, str], str], set[tuple[str, str]]]:
    """The models to publish as views (with their SQL) and those to leave out, for the build
    whose manifest dbt wrote in ``dbt_target``.

    A view's SQL comes from ``record`` when it was kept for the same definitions; a model
    marked ``view`` without it is copied as the table it is (its rows, always right).
    """
    manifest_path = dbt_target / "manifest.json"
    if not manifest_path.exists():
        return {}, set()
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    copies = analyst_copies(manifest)
    omitted = {relation for relation, copy in copies.items() if copy == "omit"}
    if not record.exists():
        return {}, omitted
    kept = json.loads(record.read_text(encoding="utf-8"))
    if kept["definitions"] != definitions_fingerprint(manifest):
        return {}, omitted
    return {(v["schema"], v["name"]): v["sql"] for v in kept["views"]
            if copies.get((v["schema"], v["name"])) == "view"}, omitted


def compact_copy(build_db: Path, target: Path, spill: Path | None = None,
                 views: dict[tuple[str, str], str] | None = None, omitted: set[tuple[str, str]] = frozenset()) -> None:
    """Write the build's schemas, tables, views and macros into a new file at ``target``,
    the tables named in ``views`` as views of the SQL given, without the tables ``omitted``.

    The build is attached read-only under its own catalog name (its file's stem), which is
    the name dbt's views refer to and the name the copy takes when opened as the analyst file.
    """
    con = duckdb.connect(config=duckdb_config(spill))  # in memory: both files are attached
    build = f'"{build_db.stem}"'
    try:
        con.execute(f"ATTACH {_quoted(str(build_db))} AS {build} (READ_ONLY)")
        con.execute(f"ATTACH {_quoted(str(target))} AS fresh")
        con.execute(f"COPY FROM DATABASE {build} TO fresh (SCHEMA)")  # every object, no rows yet
        tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? "
                             "ORDER BY schema_name, table_name", [build_db.stem]).fetchall()
        for schema, name in tables:
            relation = f'"{schema}"."{name}"'
            if (schema, name) in omitted:
                con.execute(f"DROP TABLE fresh.{relation}")
            elif (schema, name) in (views or {}):
                con.execute(f"DROP TABLE fresh.{relation}")
                con.execute(f"CREATE VIEW fresh.{relation} AS {views[(schema, name)]}")
            else:
                con.execute(f"INSERT INTO fresh.{relation} SELECT * FROM {build}.{relation}")
        con.execute("CHECKPOINT fresh")
        con.execute("DETACH fresh")
    finally:
        con.close()


def publish_warehouse(build_db: Path, warehouse_db: Path, spill: Path | None = None,
                      views: dict[tuple[str, str], str] | None = None,
                      omitted: set[tuple[str, str]] = frozenset()) -> int:
    """Copy the build, compacted (``views`` and ``omitted`` as in ``compact_copy``), to the
    analyst path atomically; returns the bytes published."""
    checkpoint(build_db, spill)
    staging = warehouse_db.with_name(f".{warehouse_db.name}.incoming")
    for leftover in (staging, staging.with_name(staging.name + ".wal")):  # from a crashed publish
        leftover.unlink(missing_ok=True)
    compact_copy(build_db, staging, spill, views, omitted)
    with open(staging, "rb+") as handle:
        os.fsync(handle.fileno())
    os.chmod(staging, 0o644)
    os.replace(staging, warehouse_db)
    return warehouse_db.stat().st_size


def publish_home(home: Home) -> int:
    """Publish a home's build for its analysts, the models dbt's last build marked as views."""
    views, omitted = views_for_analysts(home.dbt_target, home.analyst_views)
    return publish_warehouse(home.build_db, home.warehouse_db, home.spill, views, omitted)
