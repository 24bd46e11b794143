"""Key-incremental dbt builds give exactly the rows of a build of every key.

A generated landing arrives in three runs of the real command line, with what makes a
delivery change old months: an RMS month re-delivered as `_v2` without some of its arrests
(their custody records lose their arrest), a custody `_v2` that arrives a month late, a late
RMS version that moves an arrest to the next month, workbooks whose snapshots change
contracts started months before, a workbook `_v2` that leaves out the sessions of contracts
no later workbook holds, and a custody `_v2` that breaks the chain of a contract whose
sessions all came earlier. After each run, the incremental build database is rebuilt from
scratch in a copy (every key, `--full-refresh`) and every table of every model compared, row
for row. A planted fault (the recorded state claiming the last deliveries were already
built) must make the comparison fail. The analyst file of the last run must hold the
build's tables, its fact tables refreshed by the keys dbt rebuilt rather than copied whole.
The uniqueness tests of the key-incremental models read only the rebuilt keys' rows in a build
of changed keys: a planted duplicate of a rebuilt key fails them, one of a key not rebuilt
only a build of every key; and each tests a value that determines its key.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import python_calamine

from generator import generate_landing
from generator.writers import xlsx_bytes
from pipelines.dbt.incremental import CHANGES_ENV
from pipelines.paths import DBT_PROJECT_DIR
from tests.analyst_views import analyst_views_against_build
from tests.cli_process import cli_env, run_cli
from tests.ingest_files import write_rms

MONTHS = ["202501", "202502", "202503", "202504", "202505"]
KEY = "incremental-test-key-" + "0" * 43


def run_pipeline(landing: Path, home: Path) -> subprocess.CompletedProcess:
    """`checkpoint-warehouse run` with this file's key, on a day after the last month's deliveries."""
    return run_cli("run", "--landing", str(landing), "--home", str(home),
                   env=cli_env(CHECKPOINT_PSEUDONYM_KEY=KEY, CHECKPOINT_TODAY="2025-06-20"))


def copied(build_db: Path, folder: Path) -> Path:
    """A copy of ``build_db`` (and its write-ahead log) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / "warehouse.duckdb"
    shutil.copy(build_db, copy)
    if build_db.with_name(build_db.name + ".wal").exists():
        shutil.copy(build_db.with_name(build_db.name + ".wal"), copy.with_name(copy.name + ".wal"))
    return copy


def dbt(build_db: Path, *args: str, changes_since: int | None = None) -> subprocess.CompletedProcess:
    """dbt on ``build_db``: a build of every key, or of the changes since a seen_order."""
    folder = build_db.parent
    env = {**os.environ, "CHECKPOINT_BUILD_DB": str(build_db), "CHECKPOINT_DUCKDB_SPILL": str(folder / "spill")}
    env.pop(CHANGES_ENV, None)
    if changes_since is not None:
        env[CHANGES_ENV] = str(changes_since)
    return subprocess.run([str(Path(sys.executable).parent / "dbt"), *args, "--project-dir", str(DBT_PROJECT_DIR),
                           "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(folder / "target")],
                          env=env, capture_output=True, text=True, timeout=900)


def rebuilt_from_scratch(build_db: Path, folder: Path) -> Path:
    """A copy of ``build_db`` whose models dbt rebuilt for every key (no changes variable)."""
    copy = copied(build_db, folder)
    done = dbt(copy, "build", "--full-refresh", "--exclude-resource-type", "unit_test")
    assert done.returncode == 0, done.stdout[-3000:]
    return copy


def model_differences(incremental: Path, full: Path) -> dict[str, int]:
    """Rows one database's model tables hold and the other's do not, per table (none when equal).

    The int_changes__* tables are left out: they list what each build rebuilt, which differs
    by design (nothing, in a build of every key)."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{incremental}' AS inc (READ_ONLY)")
        con.execute(f"ATTACH '{full}' AS full_build (READ_ONLY)")
        tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'inc' "
                             "AND schema_name IN ('intermediate', 'marts', 'dq') AND NOT starts_with(table_name, 'int_changes__') "
                             "ORDER BY ALL").fetchall()
        differences = {}
        for schema, table in tables:
            relation = f'"{schema}"."{table}"'
            count = con.execute(f"""SELECT (SELECT count(*) FROM (SELECT * FROM inc.{relation} EXCEPT ALL
                                                                  SELECT * FROM full_build.{relation}))
                                         + (SELECT count(*) FROM (SELECT * FROM full_build.{relation} EXCEPT ALL
                                                                  SELECT * FROM inc.{relation}))""").fetchone()[0]
            if count:
                differences[f"{schema}.{table}"] = count
        return differences
    finally:
        con.close()


def rms_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], [row for row in rows[1:] if row]


def write_rms_rows(path: Path, header: list[str], rows: list[list[str]]) -> None:
    write_rms(path, [dict(zip(header, row)) for row in rows], header)


def workbook_sheets(path: Path) -> dict[str, tuple[list, list[list]]]:
    """Sheet name -> (header, rows), in the workbook's order, every row kept, empty cells as None."""
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    sheets = {}
    for name in workbook.sheet_names:
        header, *rows = workbook.get_sheet_by_name(name).to_python()
        sheets[name] = (header, [[None if value == "" else value for value in row] for row in rows])
    return sheets


def contract_ref(value) -> str:
    """As the contract holds it: trimmed, upper case (the generator writes some otherwise)."""
    return str(value or "").strip().upper()


def column_of(path: Path, sheet: str, column: str) -> list:
    """One column's values over a sheet's rows, blank rows included (as None)."""
    header, rows = workbook_sheets(path)[sheet]
    return [row[header.index(column)] for row in rows]


def contracts_with_sessions(path: Path) -> set[str]:
    return {contract_ref(value) for value in column_of(path, "Sessions", "contract_ref")} - {""}


def workbook_v2(original: Path, target: Path, sessions_left_out: set[str]) -> None:
    """A `_v2` of a workbook: every session of ``sessions_left_out`` contracts left out, and
    one other session's attendance changed; the contracts as they were."""
    sheets = []
    for name, (header, rows) in workbook_sheets(original).items():
        if name == "Sessions":
            contract, attendance = header.index("contract_ref"), header.index("attendance")
            rows = [row for row in rows if contract_ref(row[contract]) not in sessions_left_out]
            changed = next(row for row in rows if row[contract])  # not a blank row
            changed[attendance] = "MISSED" if changed[attendance] == "ATTENDED" else "ATTENDED"
        sheets.append((name, header, rows))
    target.write_bytes(xlsx_bytes(sheets, dt.datetime(2025, 5, 2)))


def custody_v2(original: Path, target: Path, left_out: str) -> None:
    """A `_v2` of a custody file without the one line of the record ``left_out``."""
    lines = original.read_bytes().splitlines(keepends=True)
    kept = [line for line in lines if left_out.encode() not in line]
    assert len(kept) == len(lines) - 1
    target.write_bytes(b"".join(kept))


def arrests_once(generated: Path, header: list[str], month_rows: list[list[str]]) -> list[list[str]]:
    """Rows of arrests with this one version in the whole landing, arrested before the 28th."""
    counts: dict[str, int] = {}
    for month in MONTHS:
        for row in rms_rows(generated / f"rms/arrests_{month}.csv")[1]:
            counts[row[0]] = counts.get(row[0], 0) + 1
    when = header.index("arrest_datetime")
    return [row for row in month_rows if counts[row[0]] == 1 and row[1] == "1" and len(row) == len(header)
            and row[when][8:10] < "28"]


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    root = tmp_path_factory.mktemp("incremental")
    generated, landing, home = root / "generated", root / "landing", root / "home"
    generate_landing(generated, start="2025-01", months=len(MONTHS), scale="durham", seed=42)
    header, january = rms_rows(generated / "rms/arrests_202501.csv")
    candidates = arrests_once(generated, header, january)
    withdrawn = {row[0] for row in candidates[:3]}  # in January's v1 only: the _v2 leaves them out
    moved = candidates[3]  # a version written in April moves it from January to February
    later = list(moved)
    later[header.index("record_version")] = "2"
    later[header.index("updated_at")] = "2025-04-10T12:00:00"
    when = header.index("arrest_datetime")
    later[when] = "2025-02" + moved[when][7:]

    def deliver(*names: str) -> None:
        for name in names:
            (landing / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(generated / name, landing / name)

    def month(m: str, custody_v2: bool = False) -> list[str]:
        names = [f"rms/arrests_{m}.csv", f"custody/custody_{m}.csv", f"programme/checkpoint_programme_{m}.xlsx"]
        return names + ([f"custody/custody_{m}_v2.csv"] if custody_v2 else [])

    runs = []
    deliver(*month("202501"), *month("202502"))
    runs.append(run_pipeline(landing, home))
    deliver(*month("202503"), "custody/custody_202502_v2.csv")  # the _v2 a month late
    write_rms_rows(landing / "rms/arrests_202501_v2.csv", header, [r for r in january if r[0] not in withdrawn])
    runs.append(run_pipeline(landing, home))
    before_last = root / "before_last"
    shutil.copytree(home, before_last)
    april_header, april = rms_rows(generated / "rms/arrests_202504.csv")
    assert april_header == header
    deliver(*month("202504"), *month("202505"))
    write_rms_rows(landing / "rms/arrests_202504.csv", header, [*april, later])
    # Contracts whose sessions no delivery after March holds: only the March `_v2` leaving
    # them out, or a change in their chain, can change their sessions in the last run.
    sessions_in = {m: contracts_with_sessions(generated / f"programme/checkpoint_programme_{m}.xlsx") for m in MONTHS}
    no_later_sessions = sessions_in["202503"] - sessions_in["202504"] - sessions_in["202505"]
    left_out = set(sorted(no_later_sessions)[:3])
    assert len(left_out) == 3
    workbook_v2(generated / "programme/checkpoint_programme_202503.xlsx",
                landing / "programme/checkpoint_programme_202503_v2.xlsx", left_out)
    # A contract with sessions before March only loses its custody record to a custody `_v2`
    # of January: its sessions' chain breaks, though no session of it arrives.
    custody_of = {}  # contract -> custody record, as the latest workbook holding it says
    for m in MONTHS:
        workbook = generated / f"programme/checkpoint_programme_{m}.xlsx"
        custody_of |= {contract_ref(c): str(r) for c, r in zip(column_of(workbook, "Contracts", "contract_ref"),
                                                              column_of(workbook, "Contracts", "custody_ref")) if c}
    january_custody = (generated / "custody/custody_202501.csv").read_bytes()
    sessions_before_march = (sessions_in["202501"] | sessions_in["202502"]) - set().union(
        *(sessions_in[m] for m in ("202503", "202504", "202505")))
    broken = next(c for c in sorted(sessions_before_march) if january_custody.count(custody_of[c].encode()) == 1)
    custody_v2(generated / "custody/custody_202501.csv", landing / "custody/custody_202501_v2.csv", custody_of[broken])
    runs.append(run_pipeline(landing, home))
    return {"root": root, "landing": landing, "home": home, "runs": runs, "before_last": before_last,
            "withdrawn": withdrawn, "moved": moved[0],
            "sessions_left_out": left_out, "chain_broken": broken}


def test_each_run_finished_and_the_last_rebuilt_changed_keys_only(staged):
    for result in staged["runs"]:
        assert result.returncode in (0, 2), result.stdout[-2000:] + result.stderr[-2000:]
    state = json.loads((staged["home"] / "state/dbt_incremental.json").read_text())
    con = duckdb.connect(str(staged["home"] / "state/build/warehouse.duckdb"), read_only=True)
    try:
        assert state["built_through_seen_order"] == con.execute("SELECT max(seen_order) FROM dq.deliveries").fetchone()[0]
        changed = con.execute("SELECT count(*) FROM intermediate.int_changes__arrests").fetchone()[0]
        arrests = con.execute("SELECT count(*) FROM marts.fct_arrests").fetchone()[0]
        changed_contracts = con.execute("SELECT count(*) FROM intermediate.int_changes__sessions").fetchone()[0]
        contracts = con.execute("SELECT count(DISTINCT contract_ref) FROM intermediate.int_sessions__chained"
                                ).fetchone()[0]
        workbook_v2 = con.execute("SELECT status FROM dq.deliveries WHERE file_name = "
                                  "'programme/checkpoint_programme_202503_v2.xlsx'").fetchall()
        left_out = con.execute("SELECT count(*) FROM intermediate.int_sessions__chained WHERE source_month = '2025-03' "
                               "AND list_contains(?, contract_ref)", [sorted(staged["sessions_left_out"])]).fetchone()[0]
        broken = con.execute("SELECT DISTINCT is_chain_complete FROM intermediate.int_sessions__chained "
                             "WHERE contract_ref = ?", [staged["chain_broken"]]).fetchall()
        moved_month = con.execute("SELECT arrest_month FROM marts.fct_arrests WHERE arrest_id = ?",
                                  [staged["moved"]]).fetchall()
        withdrawn = con.execute("SELECT count(*) FROM marts.fct_arrests WHERE list_contains(?, arrest_id)",
                                [sorted(staged["withdrawn"])]).fetchone()[0]
    finally:
        con.close()
    assert 0 < changed < arrests  # the last run rebuilt some arrests, not all
    assert 0 < changed_contracts < contracts  # and the sessions of some contracts
    assert workbook_v2 == [("accepted",)]
    assert left_out == 0 and broken == [(False,)]
    assert moved_month == [("2025-02",)]
    assert withdrawn == 0


@pytest.mark.parametrize("stage", ["before_last", "home"])
def test_an_incremental_build_holds_the_rows_of_a_build_of_every_key(staged, stage, tmp_path):
    build_db = staged[stage] / "state/build/warehouse.duckdb"
    assert model_differences(build_db, rebuilt_from_scratch(build_db, tmp_path)) == {}


def test_the_comparison_fails_when_a_build_skips_changed_keys(staged, tmp_path):
    planted = tmp_path / "home"
    shutil.copytree(staged["before_last"], planted)
    state_file = planted / "state/dbt_incremental.json"
    state = json.loads(state_file.read_text())
    state["built_through_seen_order"] += 1000  # as if April's and May's deliveries were built already
    state_file.write_text(json.dumps(state))
    result = run_pipeline(staged["landing"], planted)
    assert result.returncode in (0, 2), result.stdout[-2000:]
    build_db = planted / "state/build/warehouse.duckdb"
    differences = model_differences(build_db, rebuilt_from_scratch(build_db, tmp_path / "full"))
    assert "marts.fct_arrests" in differences and "marts.monthly_measure_cells" in differences


def test_analysts_see_every_key_after_an_incremental_build(staged):
    """The analyst file's intermediate views are the SQL of a build of every key, not the
    changed keys a later build selected: each gives the build table's rows."""
    kinds, built, differences = analyst_views_against_build(staged["home"])
    assert set(kinds.values()) == {"VIEW"} and built == set(kinds)
    assert set(differences.values()) == {0}, differences


def test_the_analyst_file_takes_only_the_rebuilt_keys_rows_of_the_fact_tables(staged):
    """The last run's analyst file replaced only the rows of the keys dbt rebuilt in the fact
    tables built that way (``analyst_copy: changed_keys``), and holds every table as the build
    does."""
    home = staged["home"]
    with dg.DagsterInstance.from_config(str(home / "state/dagster")) as instance:
        metadata = instance.get_latest_materialization_event(
            dg.AssetKey("analyst_warehouse")).asset_materialization.metadata
    assert (metadata["keyed_tables_refreshed"].value, metadata["keyed_tables_copied_whole"].value) == (3, 0)
    assert model_differences(home / "warehouse.duckdb", home / "state/build/warehouse.duckdb") == {}


def failed_tests(build_db: Path, select: str, changes_since: int | None = None) -> set[str]:
    """The names of the data tests of ``select`` that fail on ``build_db``."""
    done = dbt(build_db, "test", "--select", select, "--exclude-resource-type", "unit_test",
               changes_since=changes_since)
    results = json.loads((build_db.parent / "target/run_results.json").read_text())["results"]
    assert results and done.returncode == (1 if any(r["status"] == "fail" for r in results) else 0), done.stdout[-3000:]
    return {r["unique_id"].split(".")[2] for r in results if r["status"] == "fail"}


def test_uniqueness_after_an_incremental_build_is_tested_on_the_rebuilt_keys(staged, tmp_path):
    """After a build of changed keys, a key-incremental model's uniqueness is tested on the
    rows of the keys rebuilt (``unique_within_changed_keys``): a duplicate among them fails it;
    one of a key not rebuilt, which a build cannot make, is found by a build of every key."""
    home = staged["home"]
    since = json.loads((home / "state/dbt_incremental.json").read_text())["built_through_seen_order"]
    build_db = copied(home / "state/build/warehouse.duckdb", tmp_path / "changed")
    con = duckdb.connect(str(build_db))
    try:
        rebuilt, kept = con.execute("""
            SELECT (SELECT min(arrest_id) FROM intermediate.int_changes__arrests),
                   (SELECT min(arrest_id) FROM marts.fct_arrests
                    WHERE arrest_id NOT IN (SELECT arrest_id FROM intermediate.int_changes__arrests))""").fetchone()
        con.execute("INSERT INTO marts.fct_arrests SELECT * FROM marts.fct_arrests WHERE arrest_id = ?", [kept])
    finally:
        con.close()
    unique = "unique_fct_arrests_arrest_id"
    assert unique not in failed_tests(build_db, "fct_arrests", changes_since=since)
    assert unique in failed_tests(build_db, "fct_arrests")
    con = duckdb.connect(str(build_db))
    try:
        con.execute("INSERT INTO marts.fct_arrests SELECT * FROM marts.fct_arrests WHERE arrest_id = ?", [rebuilt])
    finally:
        con.close()
    assert unique in failed_tests(build_db, "fct_arrests", changes_since=since)


def scoped_uniqueness_tests(manifest: dict) -> list[tuple[str, str, str]]:
    """(relation tested, expression tested, key) of each ``unique_within_changed_keys`` test:
    the key is the one column of the working set it is given."""
    nodes = manifest["nodes"]
    found = []
    for node in nodes.values():
        if node["resource_type"] != "test" or node.get("test_metadata", {}).get("name") != "unique_within_changed_keys":
            continue
        tested = node["attached_node"]  # the model the test is declared on; the other node it reads is its working set
        changes, = (n for n in node["depends_on"]["nodes"] if n != tested)
        key, = nodes[changes]["columns"]
        found.append((f'"{nodes[tested]["schema"]}"."{nodes[tested]["alias"]}"',
                      node["test_metadata"]["kwargs"]["column_name"], key))
    return sorted(found)


def values_of_two_keys(con, relation: str, expression: str, key: str) -> int:
    """How many values of ``expression`` the rows of ``relation`` hold under two or more keys."""
    return con.execute(f"SELECT count(*) FROM (SELECT {expression} FROM {relation} WHERE {expression} IS NOT NULL "
                       f"GROUP BY ALL HAVING count(DISTINCT {key}) > 1)").fetchone()[0]


def test_a_value_held_under_two_keys_is_found():
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('A|1', 'A'), ('A|1', 'A'), ('B|1', 'B')) v(session_key, contract_ref)")
    assert values_of_two_keys(con, "t", "session_key", "contract_ref") == 0
    con.execute("INSERT INTO t VALUES ('A|1', 'B')")  # planted: the tested value no longer determines the key
    assert values_of_two_keys(con, "t", "session_key", "contract_ref") == 1


def test_each_scoped_uniqueness_test_is_of_a_value_that_determines_its_key(staged):
    """``unique_within_changed_keys`` is exact only where two rows equal in what it tests share
    a key: so it is on every model that has it, after the three runs."""
    tests = scoped_uniqueness_tests(json.loads((DBT_PROJECT_DIR / "target/manifest.json").read_text()))
    assert len(tests) == 11
    con = duckdb.connect(str(staged["home"] / "state/build/warehouse.duckdb"), read_only=True)
    try:
        assert {test: values_of_two_keys(con, *test) for test in tests} == {test: 0 for test in tests}
    finally:
        con.close()
