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

The key-incremental marts (``meta: {analyst_copy: changed_keys}``: ``fct_arrests`` and its
kind, which dbt rebuilds for the keys of their working set) are set aside with the raw
tables and refreshed as dbt refreshed them: their rows of the working set's keys are
replaced by the build's. Each is then compared with the build's table (row count and a sum
of row hashes): when the analyst file did not hold the previous build (a build failed,
``rekey`` rewrote rows in place, every key was rebuilt differently), they differ and the
table is copied whole, so the comparison, not a record of which build was published, keeps
the copy right.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from pipelines.contracts import raw_tables
from pipelines.dbt.incremental import definitions_fingerprint
from pipelines.records import write_record
from pipelines.settings import Home, connect, connect_writer, duckdb_config


def checkpoint(build_db: Path, spill: Path | None = None) -> None:
    """Fold the write-ahead log into the file so that the file alone is the whole database."""
    con = connect_writer(build_db, spill)
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


ANALYST_COPIES = ("view", "omit", "changed_keys")  # what `meta: {analyst_copy: ...}` may ask of a model


def _models(manifest: dict) -> Iterator[tuple[tuple[str, str], str, dict]]:
    """((schema, name), node id, node) of each model in dbt's manifest."""
    for node_id, node in manifest["nodes"].items():
        if node["resource_type"] == "model":
            yield (node["schema"], node["alias"]), node_id, node


def analyst_copies(manifest: dict) -> dict[tuple[str, str], str]:
    """(schema, name) -> one of ``ANALYST_COPIES``: the models ``meta: {analyst_copy: ...}`` marks."""
    copies = {relation: node["config"]["meta"]["analyst_copy"] for relation, _, node in _models(manifest)
              if node["config"].get("meta", {}).get("analyst_copy")}
    unknown = {f"{schema}.{name}: {copy}" for (schema, name), copy in copies.items() if copy not in ANALYST_COPIES}
    if unknown:
        raise ValueError(f"analyst_copy must be one of {', '.join(ANALYST_COPIES)}; got {', '.join(sorted(unknown))}")
    return copies


def analyst_view_sql(manifest: dict) -> dict[tuple[str, str], str]:
    """(schema, name) -> compiled SQL of each ``analyst_copy: view`` model the manifest's build
    compiled. Only a build that rebuilt every key compiled the SQL analysts may see: a
    key-incremental model's SQL otherwise selects the changed keys only."""
    copies = analyst_copies(manifest)
    return {relation: node["compiled_code"] for relation, _, node in _models(manifest)
            if copies.get(relation) == "view" and node.get("compiled_code")}


def record_analyst_views(manifest: dict, record: Path) -> None:
    """Keep the views' SQL of a build that rebuilt every key, for the builds that follow
    (``pipelines/dbt/definitions.py`` calls this after such a build)."""
    views = [{"schema": schema, "name": name, "sql": sql} for (schema, name), sql in analyst_view_sql(manifest).items()]
    write_record(record, {"definitions": definitions_fingerprint(manifest), "views": views})


class ChangedKeys(NamedTuple):
    """Where a key-incremental model finds the keys a build rebuilt: ``key`` in ``changes``."""
    key: str
    changes: tuple[str, str]  # (schema, name) of its working set, an ``analyst_copy: omit`` model


def changed_key_copies(manifest: dict) -> dict[tuple[str, str], ChangedKeys]:
    """(schema, name) -> its ``ChangedKeys``, of each ``analyst_copy: changed_keys`` model: the
    working set is the one ``omit`` model it depends on, the key that model's one column."""
    copies = analyst_copies(manifest)
    working_sets = {node_id: (relation, node) for relation, node_id, node in _models(manifest)
                    if copies.get(relation) == "omit"}
    found = {}
    for relation, _, node in _models(manifest):
        if copies.get(relation) != "changed_keys":
            continue
        working = [working_sets[node_id] for node_id in node["depends_on"]["nodes"] if node_id in working_sets]
        columns = list(working[0][1]["columns"]) if len(working) == 1 else []
        if len(columns) != 1:
            raise ValueError(f"{relation[0]}.{relation[1]}: analyst_copy changed_keys needs one working set "
                             "(an analyst_copy: omit model of one documented column) among its dependencies")
        found[relation] = ChangedKeys(columns[0], working[0][0])
    return found


@dataclass(frozen=True)
class AnalystCopyPlan:
    """How the models of a build reach the analyst file, beyond being copied as tables."""
    views: dict[tuple[str, str], str] = field(default_factory=dict)  # published as views of this SQL
    omitted: frozenset[tuple[str, str]] = frozenset()  # left out
    changed_keys: dict[tuple[str, str], ChangedKeys] = field(default_factory=dict)  # refreshed by rebuilt keys


def analyst_copy_plan(dbt_target: Path, record: Path) -> AnalystCopyPlan:
    """The plan for the build whose manifest dbt wrote in ``dbt_target``.

    A view's SQL comes from ``record`` when it was kept for the same definitions; a model
    marked ``view`` without it is copied as the table it is (its rows, always right).
    """
    manifest_path = dbt_target / "manifest.json"
    if not manifest_path.exists():
        return AnalystCopyPlan()
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    copies = analyst_copies(manifest)
    omitted = frozenset(relation for relation, copy in copies.items() if copy == "omit")
    views = {}
    kept = json.loads(record.read_text(encoding="utf-8")) if record.exists() else None
    if kept is not None and kept["definitions"] == definitions_fingerprint(manifest):
        views = {(v["schema"], v["name"]): v["sql"] for v in kept["views"]
                 if copies.get((v["schema"], v["name"])) == "view"}
    return AnalystCopyPlan(views, omitted, changed_key_copies(manifest))


SET_ASIDE = "__kept_for_analysts"  # suffix of a table set aside while the rest is replaced


class RawCopied(NamedTuple):
    deliveries_copied: int  # deliveries whose raw rows were copied (all of them on a first publication)
    deliveries_removed: int  # deliveries whose raw rows left the analyst file (superseded, rekeyed)
    tables_whole: int  # raw tables copied whole (first publication, or a definition changed)


class KeyedCopied(NamedTuple):
    """What became of the ``analyst_copy: changed_keys`` tables."""
    tables_by_keys: int  # refreshed by the keys the build rebuilt
    keys_replaced: int  # keys whose rows were replaced, over those tables
    tables_whole: int  # copied whole: first publication, a definition changed, or the refreshed rows differed
    tables_differing: int  # of those, the tables whose rows refreshed by key differed from the build's


@dataclass(frozen=True)
class PublishReport:
    bytes: int
    raw: RawCopied
    keyed: KeyedCopied = KeyedCopied(0, 0, 0, 0)


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


def table_fingerprint(relation: str) -> str:
    """SQL: a table's row count and the sum of its rows' hashes (equal rows, equal sums;
    a row changed, gained or lost changes them)."""
    # The alias names the whole row: one no column is called, or hash() would take that column.
    return f"SELECT count(*), sum(hash(whole_row)::HUGEINT) FROM {relation} AS whole_row"


def _set_aside_tables(con, build: str, kept: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """In ``fresh`` (a byte copy of the analyst file), rename the tables of ``kept`` defined as
    in the build, and drop everything else; returns the tables set aside."""
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


def _put_back(con, schema: str, name: str) -> None:
    """Put a set-aside table back in place of the empty one COPY FROM DATABASE made."""
    con.execute(f'DROP TABLE fresh."{schema}"."{name}"')
    con.execute(f'ALTER TABLE fresh."{schema}"."{name}{SET_ASIDE}" RENAME TO "{name}"')


def _refresh_raw_table(con, build: str, schema: str, name: str) -> tuple[int, int]:
    """Put the set-aside raw table back and bring it to the build's rows, delivery by
    delivery; returns (deliveries copied, deliveries removed)."""
    relation = f'"{schema}"."{name}"'
    _put_back(con, schema, name)
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


def _refresh_by_changed_keys(con, build: str, schema: str, name: str, changed: ChangedKeys) -> tuple[int, bool]:
    """Put the set-aside table back and replace its rows of the keys the build rebuilt with the
    build's; copied whole instead if it then differs from the build's. Returns (keys replaced,
    whether it differed)."""
    relation = f'"{schema}"."{name}"'
    _put_back(con, schema, name)
    key, (changes_schema, changes_name) = f'"{changed.key}"', changed.changes
    rebuilt = f'(SELECT {key} FROM {build}."{changes_schema}"."{changes_name}")'
    con.execute(f"DELETE FROM fresh.{relation} WHERE {key} IN {rebuilt}")
    con.execute(f"INSERT INTO fresh.{relation} BY NAME SELECT * FROM {build}.{relation} WHERE {key} IN {rebuilt}")
    keys = con.execute(f"SELECT count(*) FROM {rebuilt}").fetchone()[0]
    if con.execute(table_fingerprint(f"fresh.{relation}")).fetchone() == \
            con.execute(table_fingerprint(f"{build}.{relation}")).fetchone():
        return keys, False
    con.execute(f"DELETE FROM fresh.{relation}")
    con.execute(f"INSERT INTO fresh.{relation} BY NAME SELECT * FROM {build}.{relation}")
    return keys, True


def compact_copy(build_db: Path, target: Path, spill: Path | None = None, plan: AnalystCopyPlan = AnalystCopyPlan(),
                 previous: Path | None = None) -> tuple[RawCopied, KeyedCopied]:
    """Write the build's schemas, tables, views and macros into a new file at ``target`` as
    ``plan`` says (views of the SQL given, tables left out); returns what it copied of the raw
    tables and of the tables refreshed by changed keys.

    With ``previous`` (the analyst file published before), ``target`` starts as its bytes, its
    raw tables keep the deliveries the build holds alike, and its ``changed_keys`` tables the
    keys the build did not rebuild (see the module's docstring).

    The build is attached read-only under its own catalog name (its file's stem), which is
    the name dbt's views refer to and the name the copy takes when opened as the analyst file.
    """
    if previous is not None:
        shutil.copyfile(previous, target)
    con = connect(config=duckdb_config(spill))  # in memory: both files are attached
    build = f'"{build_db.stem}"'
    copied = removed = whole = 0
    by_keys = keys_replaced = keyed_whole = differing = 0
    try:
        con.execute(f"ATTACH {_quoted(str(build_db))} AS {build} (READ_ONLY)")
        con.execute(f"ATTACH {_quoted(str(target))} AS fresh")
        tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? "
                             "ORDER BY schema_name, table_name", [build_db.stem]).fetchall()
        raw = {("raw", name) for name in raw_tables()} & set(tables)
        # A table refreshed by changed keys needs its working set, which a build always has.
        keyed = {relation for relation, changed in plan.changed_keys.items()
                 if {relation, changed.changes} <= set(tables)}
        kept = (raw | keyed) - plan.omitted - set(plan.views)
        aside = _set_aside_tables(con, build_db.stem, kept) if previous else set()
        con.execute(f"COPY FROM DATABASE {build} TO fresh (SCHEMA)")  # every object, no rows yet
        for schema, name in tables:
            relation = f'"{schema}"."{name}"'
            if (schema, name) in plan.omitted:
                con.execute(f"DROP TABLE fresh.{relation}")
            elif (schema, name) in plan.views:
                con.execute(f"DROP TABLE fresh.{relation}")
                con.execute(f"CREATE VIEW fresh.{relation} AS {plan.views[(schema, name)]}")
            elif (schema, name) in aside and (schema, name) in raw:
                in_, out = _refresh_raw_table(con, build, schema, name)
                copied, removed = copied + in_, removed + out
            elif (schema, name) in aside:
                replaced, differed = _refresh_by_changed_keys(con, build, schema, name,
                                                              plan.changed_keys[(schema, name)])
                if differed:
                    keyed_whole, differing = keyed_whole + 1, differing + 1
                else:
                    by_keys, keys_replaced = by_keys + 1, keys_replaced + replaced
            else:
                con.execute(f"INSERT INTO fresh.{relation} SELECT * FROM {build}.{relation}")
                if (schema, name) in raw:
                    whole += 1
                    copied += con.execute(f"SELECT count(DISTINCT delivery_sha256) FROM {build}.{relation}").fetchone()[0]
                if (schema, name) in keyed:
                    keyed_whole += 1
        con.execute("CHECKPOINT fresh")
        con.execute("DETACH fresh")
    finally:
        con.close()
    return RawCopied(copied, removed, whole), KeyedCopied(by_keys, keys_replaced, keyed_whole, differing)


def publish_warehouse(build_db: Path, warehouse_db: Path, spill: Path | None = None,
                      plan: AnalystCopyPlan = AnalystCopyPlan()) -> PublishReport:
    """Copy the build, compacted (as ``plan`` says: ``compact_copy``), to the analyst path
    atomically, starting from the analyst file in place when there is one."""
    checkpoint(build_db, spill)
    staging = warehouse_db.with_name(f".{warehouse_db.name}.incoming")
    for leftover in (staging, staging.with_name(staging.name + ".wal")):  # from a crashed publish
        leftover.unlink(missing_ok=True)
    # A published file is whole (checkpointed, no log beside it); anything else starts afresh.
    stale_log = Path(f"{warehouse_db}.wal")
    previous = warehouse_db if warehouse_db.is_file() and not stale_log.exists() else None
    raw, keyed = compact_copy(build_db, staging, spill, plan, previous)
    with open(staging, "rb+") as handle:
        os.fsync(handle.fileno())
    os.chmod(staging, 0o644)
    os.replace(staging, warehouse_db)
    stale_log.unlink(missing_ok=True)  # the old file's (opened for writing by hand): DuckDB would replay it on the new
    return PublishReport(warehouse_db.stat().st_size, raw, keyed)


def publish_home(home: Home) -> PublishReport:
    """Publish a home's build for its analysts, as dbt's last build marked its models."""
    return publish_warehouse(home.build_db, home.warehouse_db, home.spill,
                             analyst_copy_plan(home.dbt_target, home.analyst_views))
