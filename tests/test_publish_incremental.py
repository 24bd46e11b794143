"""The analyst file after the first: its raw tables take only the deliveries that changed,
its tables built for changed keys only those keys' rows, and the file is what a fresh copy
of the build would be (issue 12)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.load import ingest_landing
from pipelines.settings import Home
from pipelines.contracts import raw_tables
from pipelines.warehouse.publish import (AnalystCopyPlan, ChangedKeys, KeyedCopied, compact_copy, publish_warehouse,
                                         table_fingerprint)
from tests.ingest_files import rms_row, write_rms


def _catalog(con, name: str) -> dict:
    """Every user object of an attached file: schemas, tables with their rows, views with their SQL, macros."""
    tables = con.execute("SELECT schema_name, table_name, sql FROM duckdb_tables() WHERE database_name = ? "
                         "ORDER BY ALL", [name]).fetchall()
    return {
        "schemas": con.execute("SELECT schema_name FROM duckdb_schemas() WHERE database_name = ? AND NOT internal "
                               "ORDER BY ALL", [name]).fetchall(),
        "tables": {(schema, table): (sql, sorted(map(repr, con.execute(
            f'SELECT * FROM "{name}"."{schema}"."{table}"').fetchall()))) for schema, table, sql in tables},
        "views": con.execute("SELECT schema_name, view_name, sql FROM duckdb_views() WHERE database_name = ? "
                             "AND NOT internal ORDER BY ALL", [name]).fetchall(),
        "macros": con.execute("SELECT schema_name, function_name, macro_definition FROM duckdb_functions() "
                              "WHERE database_name = ? AND NOT internal ORDER BY ALL", [name]).fetchall(),
    }


def assert_same_as_a_fresh_copy(home: Home, tmp_path: Path, plan: AnalystCopyPlan = AnalystCopyPlan()) -> None:
    fresh = tmp_path / "fresh" / "warehouse.duckdb"
    fresh.parent.mkdir(exist_ok=True)
    fresh.unlink(missing_ok=True)
    compact_copy(home.build_db, fresh, plan=plan)
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{home.warehouse_db}' AS published (READ_ONLY)")
        con.execute(f"ATTACH '{fresh}' AS fresh (READ_ONLY)")
        assert _catalog(con, "published") == _catalog(con, "fresh")
    finally:
        con.close()


def _build(home: Home, sql: str) -> None:
    con = duckdb.connect(str(home.build_db))
    try:
        con.execute(sql)
    finally:
        con.close()


def published_once(tmp_path: Path, *arrest_ids: str) -> Home:
    """A home whose one RMS month is loaded and published."""
    landing, home = tmp_path / "landing", Home(tmp_path / "home")
    write_rms(landing / "rms/arrests_202610.csv", [rms_row(arrest_id) for arrest_id in arrest_ids])
    ingest_landing(landing, home.build_db, home.restricted_db, b"k" * 32)
    publish_warehouse(home.build_db, home.warehouse_db, home.spill)
    return home


def test_later_publications_copy_only_the_deliveries_that_changed(tmp_path):
    landing, home = tmp_path / "landing", Home(tmp_path / "home")

    def ingest_and_publish():
        ingest_landing(landing, home.build_db, home.restricted_db, b"k" * 32)
        report = publish_warehouse(home.build_db, home.warehouse_db, home.spill)
        assert_same_as_a_fresh_copy(home, tmp_path)
        return report.raw

    write_rms(landing / "rms/arrests_202609.csv", [rms_row("DUR-A-0000001", updated="2026-09-03T10:00:00",
                                                           arrest_datetime="2026-09-02T23:15:00")])
    write_rms(landing / "rms/arrests_202610.csv", [rms_row("DUR-A-0000002")])
    ingest_landing(landing, home.build_db, home.restricted_db, b"k" * 32)
    # Objects of the kind dbt makes, which a later build drops or changes.
    _build(home, "CREATE SCHEMA marts; CREATE SCHEMA scratch; "
                 "CREATE TABLE marts.facts AS SELECT arrest_id FROM raw.rms_arrests; "
                 "CREATE TABLE scratch.gone AS SELECT 1 AS x; "
                 "CREATE VIEW marts.by_month AS SELECT source_month, count(*) AS n FROM warehouse.raw.rms_arrests "
                 "GROUP BY ALL; CREATE MACRO marts.twice(x) AS 2 * x")
    report = publish_warehouse(home.build_db, home.warehouse_db, home.spill)
    assert report.raw[:2] == (2, 0)  # the first: every delivery
    assert_same_as_a_fresh_copy(home, tmp_path)

    # A new month: only its delivery is copied; the models the build replaced are replaced.
    write_rms(landing / "rms/arrests_202611.csv", [rms_row("DUR-A-0000003", updated="2026-11-03T10:00:00",
                                                           arrest_datetime="2026-11-02T23:15:00")])
    _build(home, "DROP SCHEMA scratch CASCADE; CREATE OR REPLACE TABLE marts.facts AS SELECT 'x' AS other; "
                 "DROP MACRO marts.twice; CREATE MACRO marts.thrice(x) AS 3 * x")
    assert ingest_and_publish() == (1, 0, 0)

    # A second version replaces the first: its rows go, the new version's come.
    write_rms(landing / "rms/arrests_202611_v2.csv", [rms_row("DUR-A-0000004", updated="2026-11-04T10:00:00",
                                                              arrest_datetime="2026-11-02T23:15:00")])
    assert ingest_and_publish() == (1, 1, 0)

    # Nothing new: nothing copied.
    assert ingest_and_publish() == (0, 0, 0)


def test_rows_rewritten_in_place_as_rekey_does_are_copied_again(tmp_path):
    home = published_once(tmp_path, "DUR-A-0000001", "DUR-A-0000002")
    # rekey rewrites each row's digest and pseudonym, in place
    _build(home, "UPDATE raw.rms_arrests SET row_digest = md5(row_digest), person_pseudonym = md5(person_pseudonym)")
    report = publish_warehouse(home.build_db, home.warehouse_db, home.spill)
    assert report.raw[:2] == (1, 1)
    assert_same_as_a_fresh_copy(home, tmp_path)


def test_a_raw_table_defined_differently_is_copied_whole(tmp_path):
    home = published_once(tmp_path, "DUR-A-0000001")
    _build(home, "ALTER TABLE raw.rms_arrests ADD COLUMN added_later VARCHAR")
    report = publish_warehouse(home.build_db, home.warehouse_db, home.spill)
    assert report.raw.tables_whole == 1 and report.raw.deliveries_copied == 1
    assert_same_as_a_fresh_copy(home, tmp_path)


def test_the_comparison_sees_a_stale_raw_row(tmp_path):
    """The check above can fail: a copy that missed an in-place change differs from a fresh one."""
    home = published_once(tmp_path, "DUR-A-0000001")
    # A change no writer of raw rows makes: a value rewritten with its digest kept.
    _build(home, "UPDATE raw.rms_arrests SET station_code = 'XXX01'")
    publish_warehouse(home.build_db, home.warehouse_db, home.spill)
    with pytest.raises(AssertionError):
        assert_same_as_a_fresh_copy(home, tmp_path)


def test_an_analyst_file_with_a_log_beside_it_is_not_built_upon(tmp_path):
    """Only a whole published file is copied as bytes: one with a write-ahead log beside it
    (not what a publication leaves) is replaced by a fresh copy."""
    home = published_once(tmp_path, "DUR-A-0000001")
    Path(f"{home.warehouse_db}.wal").write_bytes(b"")
    report = publish_warehouse(home.build_db, home.warehouse_db, home.spill)
    assert report.raw.tables_whole == len(raw_tables()) and report.raw.deliveries_copied == 1
    assert not Path(f"{home.warehouse_db}.wal").exists()  # it was the old file's
    assert_same_as_a_fresh_copy(home, tmp_path)


# A fact table built for changed keys only, with its working set, as dbt's key-incremental models are.
BY_KEYS = AnalystCopyPlan(omitted=frozenset({("intermediate", "changes")}),
                          changed_keys={("marts", "facts"): ChangedKeys("arrest_id", ("intermediate", "changes"))})


def test_a_table_built_for_changed_keys_takes_only_their_rows(tmp_path):
    home = published_once(tmp_path, "DUR-A-0000001", "DUR-A-0000002")

    def publish() -> KeyedCopied:
        report = publish_warehouse(home.build_db, home.warehouse_db, home.spill, BY_KEYS)
        assert_same_as_a_fresh_copy(home, tmp_path, BY_KEYS)
        return report.keyed

    _build(home, "CREATE SCHEMA marts; CREATE SCHEMA intermediate; "
                 "CREATE TABLE marts.facts AS SELECT arrest_id, 'a' AS state FROM raw.rms_arrests; "
                 "CREATE TABLE intermediate.changes (arrest_id VARCHAR)")
    assert publish() == (0, 0, 1, 0)  # not in the analyst file yet: copied whole

    # A build that rebuilt two keys, one of them new: only their rows are replaced.
    _build(home, "INSERT INTO intermediate.changes VALUES ('DUR-A-0000002'), ('DUR-A-0000003'); "
                 "UPDATE marts.facts SET state = 'b' WHERE arrest_id = 'DUR-A-0000002'; "
                 "INSERT INTO marts.facts VALUES ('DUR-A-0000003', 'a')")
    assert publish() == (1, 2, 0, 0)

    # Nothing rebuilt, nothing changed.
    _build(home, "DELETE FROM intermediate.changes")
    assert publish() == (1, 0, 0, 0)


def test_a_table_built_for_changed_keys_that_changed_elsewhere_is_copied_whole(tmp_path):
    """The comparison with the build can fail: a row changed outside the working set (rekey
    rewrites every pseudonym in place; a failed build leaves the analyst file behind) is
    found, and the table copied whole."""
    home = published_once(tmp_path, "DUR-A-0000001", "DUR-A-0000002")
    _build(home, "CREATE SCHEMA marts; CREATE SCHEMA intermediate; "
                 "CREATE TABLE marts.facts AS SELECT arrest_id, 'a' AS state FROM raw.rms_arrests; "
                 "CREATE TABLE intermediate.changes AS SELECT 'DUR-A-0000002' AS arrest_id")
    publish_warehouse(home.build_db, home.warehouse_db, home.spill, BY_KEYS)
    _build(home, "UPDATE marts.facts SET state = 'rewritten' WHERE arrest_id = 'DUR-A-0000001'")
    report = publish_warehouse(home.build_db, home.warehouse_db, home.spill, BY_KEYS)
    assert report.keyed == (0, 0, 1, 1)
    assert_same_as_a_fresh_copy(home, tmp_path, BY_KEYS)


def test_a_fingerprint_tells_repeated_rows_apart():
    """Two tables of the same size whose rows each appear twice: a xor of row hashes would
    cancel to zero in both; the sum does not."""
    con = duckdb.connect()
    con.execute("CREATE TABLE twice_a AS SELECT * FROM (VALUES ('a', 1), ('a', 1)) t(k, v)")
    con.execute("CREATE TABLE twice_b AS SELECT * FROM (VALUES ('b', 2), ('b', 2)) t(k, v)")
    con.execute("CREATE TABLE once_a AS SELECT * FROM (VALUES ('a', 1)) t(k, v)")
    fingerprints = {name: con.execute(table_fingerprint(name)).fetchone() for name in ("twice_a", "twice_b", "once_a")}
    assert fingerprints["twice_a"] != fingerprints["twice_b"]
    assert fingerprints["twice_a"][1] == 2 * fingerprints["once_a"][1]
    assert con.execute("SELECT bit_xor(hash(r)) FROM twice_a r").fetchone() == (0,)  # what a xor would see
