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

After the first publication, the raw tables (most of the rows: ten national years hold 48
million raw rows of 69 million) are not copied again: the analyst file in place is copied as
bytes, its raw tables are set aside while every other object is dropped and copied afresh,
and each raw table then takes only the deliveries whose rows differ from the build's. Raw
rows are written a whole delivery at a time (ingest loads a delivery, a later version
removes an earlier one) and rewritten in place only by ``rekey``, which changes every row
digest; so a delivery's row count and the digests of its rows (``raw_fingerprints``) tell
whether the copy holds its rows as the build does.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import duckdb

from pipelines.contracts import raw_tables
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


SET_ASIDE = "__kept_for_analysts"  # suffix of a raw table set aside while the rest is replaced


class RawCopied(NamedTuple):
    deliveries_copied: int  # deliveries whose raw rows were copied (all of them on a first publication)
    deliveries_removed: int  # deliveries whose raw rows left the analyst file (superseded, rekeyed)
    tables_whole: int  # raw tables copied whole (first publication, or a definition changed)


@dataclass(frozen=True)
class PublishReport:
    bytes: int
    raw: RawCopied


def raw_fingerprints(relation: str) -> str:
    """SQL: per delivery of a raw table, its row count and a digest of its rows' (row number,
    row digest) pairs."""
    return (f"SELECT delivery_sha256, count(*) AS n, bit_xor(hash(row_digest, \"row_number\")) AS h "
            f"FROM {relation} GROUP BY delivery_sha256")


def _definition(con, catalog: str, schema: str, name: str) -> str | None:
    """The table's CREATE statement as DuckDB keeps it (columns, types, constraints)."""
    row = con.execute("SELECT sql FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? "
                      "AND table_name = ?", [catalog, schema, name]).fetchone()
    return row[0] if row else None


def _set_aside_raw_tables(con, build: str, kept: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """In ``fresh`` (a byte copy of the analyst file), rename the raw tables defined as in the
    build, and drop everything else; returns the tables set aside."""
    aside = {(schema, name) for schema, name in kept
             if _definition(con, "fresh", schema, name) == _definition(con, build, schema, name)}
    for schema, name in sorted(aside):
        con.execute(f'ALTER TABLE fresh."{schema}"."{name}" RENAME TO "{name}{SET_ASIDE}"')
    holding = {schema for schema, _ in aside} | {"main"}
    for (schema,) in con.execute("SELECT schema_name FROM duckdb_schemas() WHERE database_name = 'fresh' "
                                 "AND NOT internal").fetchall():
        if schema not in holding:
            con.execute(f'DROP SCHEMA fresh."{schema}" CASCADE')
    for kind, listing in (("VIEW", "SELECT schema_name, view_name FROM duckdb_views() "
                                   "WHERE database_name = 'fresh' AND NOT internal"),
                          ("TABLE", "SELECT schema_name, table_name FROM duckdb_tables() "
                                    "WHERE database_name = 'fresh'"),
                          ("MACRO TABLE", "SELECT DISTINCT schema_name, function_name FROM duckdb_functions() "
                                          "WHERE database_name = 'fresh' AND NOT internal "
                                          "AND function_type = 'table_macro'"),
                          ("MACRO", "SELECT DISTINCT schema_name, function_name FROM duckdb_functions() "
                                    "WHERE database_name = 'fresh' AND NOT internal AND function_type = 'macro'")):
        for schema, name in con.execute(listing).fetchall():
            if not name.endswith(SET_ASIDE):
                con.execute(f'DROP {kind} fresh."{schema}"."{name}"')
    # Checkpointed before anything is written: the blocks just freed are then reused, and
    # the file stays the size of its data.
    con.execute("CHECKPOINT fresh")
    return aside


def _refresh_raw_table(con, build: str, schema: str, name: str) -> tuple[int, int]:
    """Put the set-aside raw table back and bring it to the build's rows, delivery by
    delivery; returns (deliveries copied, deliveries removed)."""
    relation = f'"{schema}"."{name}"'
    con.execute(f"DROP TABLE fresh.{relation}")  # the empty one COPY FROM DATABASE made
    con.execute(f'ALTER TABLE fresh."{schema}"."{name}{SET_ASIDE}" RENAME TO "{name}"')
    con.execute(f"""CREATE OR REPLACE TEMP TABLE delivery_changes AS
        SELECT delivery_sha256, b.n IS NOT NULL AS in_build, f.n IS NOT NULL AS in_copy
        FROM ({raw_fingerprints(f"{build}.{relation}")}) b
        FULL JOIN ({raw_fingerprints(f"fresh.{relation}")}) f USING (delivery_sha256)
        WHERE b.n IS DISTINCT FROM f.n OR b.h IS DISTINCT FROM f.h""")
    try:
        con.execute(f"""DELETE FROM fresh.{relation} AS r WHERE EXISTS (
            SELECT 1 FROM delivery_changes c WHERE c.in_copy AND c.delivery_sha256 IS NOT DISTINCT FROM r.delivery_sha256)""")
        con.execute(f"""INSERT INTO fresh.{relation} BY NAME SELECT * FROM {build}.{relation} AS r WHERE EXISTS (
            SELECT 1 FROM delivery_changes c WHERE c.in_build AND c.delivery_sha256 IS NOT DISTINCT FROM r.delivery_sha256)""")
        return con.execute("SELECT count(*) FILTER (in_build), count(*) FILTER (in_copy) FROM delivery_changes").fetchone()
    finally:
        con.execute("DROP TABLE delivery_changes")


def compact_copy(build_db: Path, target: Path, spill: Path | None = None,
                 views: dict[tuple[str, str], str] | None = None, omitted: set[tuple[str, str]] = frozenset(),
                 previous: Path | None = None) -> RawCopied:
    """Write the build's schemas, tables, views and macros into a new file at ``target``,
    the tables named in ``views`` as views of the SQL given, without the tables ``omitted``;
    returns what it copied of the raw tables.

    With ``previous`` (the analyst file published before), ``target`` starts as its bytes and
    its raw tables keep the deliveries the build holds alike (see the module's docstring).

    The build is attached read-only under its own catalog name (its file's stem), which is
    the name dbt's views refer to and the name the copy takes when opened as the analyst file.
    """
    if previous is not None:
        shutil.copyfile(previous, target)
    con = duckdb.connect(config=duckdb_config(spill))  # in memory: both files are attached
    build = f'"{build_db.stem}"'
    copied = removed = whole = 0
    try:
        con.execute(f"ATTACH {_quoted(str(build_db))} AS {build} (READ_ONLY)")
        con.execute(f"ATTACH {_quoted(str(target))} AS fresh")
        tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? "
                             "ORDER BY schema_name, table_name", [build_db.stem]).fetchall()
        raw = {("raw", name) for name in raw_tables()} & set(tables)
        aside = _set_aside_raw_tables(con, build_db.stem, raw - set(omitted) - set(views or {})) if previous else set()
        con.execute(f"COPY FROM DATABASE {build} TO fresh (SCHEMA)")  # every object, no rows yet
        for schema, name in tables:
            relation = f'"{schema}"."{name}"'
            if (schema, name) in omitted:
                con.execute(f"DROP TABLE fresh.{relation}")
            elif (schema, name) in (views or {}):
                con.execute(f"DROP TABLE fresh.{relation}")
                con.execute(f"CREATE VIEW fresh.{relation} AS {views[(schema, name)]}")
            elif (schema, name) in aside:
                in_, out = _refresh_raw_table(con, build, schema, name)
                copied, removed = copied + in_, removed + out
            else:
                con.execute(f"INSERT INTO fresh.{relation} SELECT * FROM {build}.{relation}")
                if (schema, name) in raw:
                    whole += 1
                    copied += con.execute(f"SELECT count(DISTINCT delivery_sha256) FROM {build}.{relation}").fetchone()[0]
        con.execute("CHECKPOINT fresh")
        con.execute("DETACH fresh")
    finally:
        con.close()
    return RawCopied(copied, removed, whole)


def publish_warehouse(build_db: Path, warehouse_db: Path, spill: Path | None = None,
                      views: dict[tuple[str, str], str] | None = None,
                      omitted: set[tuple[str, str]] = frozenset()) -> PublishReport:
    """Copy the build, compacted (``views`` and ``omitted`` as in ``compact_copy``), to the
    analyst path atomically, starting from the analyst file in place when there is one."""
    checkpoint(build_db, spill)
    staging = warehouse_db.with_name(f".{warehouse_db.name}.incoming")
    for leftover in (staging, staging.with_name(staging.name + ".wal")):  # from a crashed publish
        leftover.unlink(missing_ok=True)
    # A published file is whole (checkpointed, no log beside it); anything else starts afresh.
    stale_log = Path(f"{warehouse_db}.wal")
    previous = warehouse_db if warehouse_db.is_file() and not stale_log.exists() else None
    raw = compact_copy(build_db, staging, spill, views, omitted, previous)
    with open(staging, "rb+") as handle:
        os.fsync(handle.fileno())
    os.chmod(staging, 0o644)
    os.replace(staging, warehouse_db)
    stale_log.unlink(missing_ok=True)  # the old file's (opened for writing by hand): DuckDB would replay it on the new
    return PublishReport(warehouse_db.stat().st_size, raw)


def publish_home(home: Home) -> PublishReport:
    """Publish a home's build for its analysts, the models dbt's last build marked as views."""
    views, omitted = views_for_analysts(home.dbt_target, home.analyst_views)
    return publish_warehouse(home.build_db, home.warehouse_db, home.spill, views, omitted)
