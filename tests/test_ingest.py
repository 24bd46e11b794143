"""Ingest against real files and a real DuckDB file: every fault of the contract's table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.load import ingest_landing
from pipelines.ingest.reconcile import reconciliation_failures
from pipelines.settings import Home
from tests.ingest_files import CUSTODY_HEADER, RMS_HEADER, custody_row, query, rms_row, write_custody, write_rms

SECRET = b"test-secret"


@pytest.fixture
def home(tmp_path) -> Home:
    return Home(tmp_path / "home")


@pytest.fixture
def landing(tmp_path) -> Path:
    (tmp_path / "landing").mkdir()
    return tmp_path / "landing"


def ingest(landing: Path, home: Home):
    return ingest_landing(landing, home.build_db, home.restricted_db, SECRET)


def deliveries(home: Home) -> dict[str, tuple]:
    con = duckdb.connect(str(home.build_db), read_only=True)
    try:
        rows = con.execute("""SELECT file_name, status, rows_read, rows_loaded, rows_quarantined, rows_duplicate, reason
                              FROM dq.deliveries""").fetchall()
    finally:
        con.close()
    return {r[0]: r[1:] for r in rows}


def test_normalisation_duplicates_and_key_conflicts(landing, home):
    write_rms(landing / "rms/arrests_202610.csv", [
        rms_row("dur-a-0000001", force_code=" dur ", sex="f", drug_class="b"),
        rms_row("DUR-A-0000001"),                                   # equal after normalisation: duplicate
        rms_row("DUR-A-0000002", station_code="X1"),
        rms_row("DUR-A-0000002", station_code="X2"),                # same key, other values: both quarantined
        rms_row("DUR-A-0000003", force_code="ZZZ"),                 # outside the code list
        rms_row("DUR-A-0000004", arrest_datetime="2026-10-32T00:00:00"),  # date does not parse
        rms_row("DUR-A-0000005", record_status="EXPUNGED"),          # rule: EXPUNGED without a date
        rms_row("DUR-A-0000006", updated_at="2026-09-30T23:59:59"),  # outside the file's month
        rms_row("DUR-A-0000007", person_id=""),                       # required value empty
    ], raw_lines=["DUR-A-0000008,1,too,few", "", ""])
    ingest(landing, home)
    status, read, loaded, quarantined, duplicate, _ = deliveries(home)["rms/arrests_202610.csv"]
    assert (status, read, loaded, quarantined, duplicate) == ("accepted", 10, 1, 8, 1)
    assert read == loaded + quarantined + duplicate
    reasons = dict(query(home, "SELECT row_number, reason FROM dq.quarantined_rows"))
    assert "another row of this delivery" in reasons[4] and "another row of this delivery" in reasons[5]
    assert reasons[6] == "force_code: value is not in the code list"  # the column, never the value
    assert reasons[7].startswith("arrest_datetime:")
    assert "rule broken: expunged_date set exactly when record_status is EXPUNGED" in reasons[8]
    assert "outside the file's month" in reasons[9]
    assert reasons[10] == "person_id: required value is empty"
    assert reasons[11] == f"row has 4 fields; the header has {len(RMS_HEADER)}"
    # What failed is kept as data, for alerts to count without reading the messages.
    failed = set(query(home, "SELECT row_number, kind, column_name, rule_name FROM dq.quarantine_reasons"))
    assert {(4, "key_in_delivery", "arrest_id, record_version", None), (6, "code_list", "force_code", None),
            (7, "not_of_type", "arrest_datetime", None), (9, "outside_month", "updated_at", None),
            (8, "rule", None, "expunged_date set exactly when record_status is EXPUNGED"),
            (10, "required", "person_id", None), (11, "field_count", None, None)} <= failed
    assert not query(home, "SELECT * FROM dq.quarantine_reasons WHERE message LIKE '%ZZZ%' OR message LIKE '%32T%'")
    assert query(home, "SELECT force_code, sex, drug_class FROM raw.rms_arrests") == [("DUR", "F", "B")]
    # The raw text of a quarantined row is kept, but only in the restricted store.
    restricted = duckdb.connect(str(home.restricted_db), read_only=True)
    assert restricted.execute("SELECT raw_text FROM quarantined_raw WHERE row_number = 11").fetchone()[0] == "DUR-A-0000008,1,too,few"
    restricted.close()


def test_whole_delivery_rejections_and_warnings(landing, home):
    write_rms(landing / "rms/arrests_202610.csv", [rms_row()], header=[h for h in RMS_HEADER if h != "expunged_date"])
    (landing / "custody").mkdir()
    (landing / "custody/custody_202610.csv").write_bytes(b"")
    write_rms(landing / "rms/arrests_202611.csv", [])  # header only
    (landing / "rms/arrests_202612.csv").write_bytes(
        ",".join(RMS_HEADER).encode() + b"\r\n" + ",".join(rms_row(updated="2026-12-01T00:00:00").values()).encode("cp1252") + b"\r\n")
    write_custody(landing / "custody/custody_202611.csv",
                  [custody_row(booked_in="01/11/2026 10:00", released="")],
                  header=CUSTODY_HEADER + ["officer_notes"])
    ingest(landing, home)
    seen = deliveries(home)
    assert seen["rms/arrests_202610.csv"][0] == "rejected" and "expunged_date" in seen["rms/arrests_202610.csv"][5]
    assert seen["custody/custody_202610.csv"][0] == "rejected" and "zero bytes" in seen["custody/custody_202610.csv"][5]
    assert seen["rms/arrests_202612.csv"][0] == "rejected" and "wrong encoding" in seen["rms/arrests_202612.csv"][5]
    assert seen["rms/arrests_202611.csv"][:5] == ("accepted", 0, 0, 0, 0)
    assert seen["custody/custody_202611.csv"][:5] == ("accepted", 1, 1, 0, 0)
    events = set(query(home, "SELECT file_name, event FROM dq.delivery_events"))
    assert ("rms/arrests_202611.csv", "header_only") in events
    assert ("custody/custody_202611.csv", "schema_drift") in events
    assert query(home, "SELECT count(*) FROM raw.rms_arrests") == [(0,)]


def test_custody_windows_1252_byte_undefined_is_rejected(landing, home):
    path = write_custody(landing / "custody/custody_202610.csv", [custody_row()])
    path.write_bytes(path.read_bytes().replace(b"Caf\xe9", b"Caf\x81"))
    ingest(landing, home)
    assert deliveries(home)["custody/custody_202610.csv"][0] == "rejected"


def test_redelivery_supersedes_and_same_bytes_change_nothing(landing, home):
    write_custody(landing / "custody/custody_202610.csv", [custody_row(), custody_row("DUR/C/26/000002")])
    ingest(landing, home)
    write_custody(landing / "custody/custody_202610_v2.csv", [custody_row(gravity_score="3")])
    (landing / "custody/copy_of_custody.csv").write_bytes((landing / "custody/custody_202610.csv").read_bytes())
    (landing / "custody/custody_202611.csv").write_bytes((landing / "custody/custody_202610.csv").read_bytes())
    (landing / "custody/~$custody_202610.csv").write_text("lock")
    report = ingest(landing, home)
    seen = deliveries(home)
    assert seen["custody/custody_202610.csv"][0] == "superseded"
    assert seen["custody/custody_202610.csv"][1:5] == (2, 2, 0, 0)  # a superseded delivery keeps its counts
    assert seen["custody/custody_202610_v2.csv"][0] == "accepted"
    assert seen["custody/custody_202611.csv"][0] == "duplicate"
    assert seen["custody/copy_of_custody.csv"][0] == "ignored"
    assert query(home, "SELECT count(*) FROM dq.delivery_events WHERE file_name = 'custody/copy_of_custody.csv'") == [(0,)]
    assert query(home, "SELECT custody_ref, gravity_score FROM raw.custody_records") == [("DUR/C/26/000001", 3)]
    assert len(report.results) == 4
    # Nothing new: a second run takes nothing, reports nothing again.
    assert ingest(landing, home).results == []
    (landing / "custody/~$custody_202610.csv").write_text("lock, changed")
    assert ingest(landing, home).results == []


def test_keys_against_earlier_deliveries(landing, home):
    write_rms(landing / "rms/arrests_202610.csv", [rms_row("DUR-A-0000001"), rms_row("DUR-A-0000002")])
    write_custody(landing / "custody/custody_202610.csv", [custody_row()])
    ingest(landing, home)
    write_rms(landing / "rms/arrests_202611.csv", [
        rms_row("DUR-A-0000001"),                                 # same version, equal: duplicate despite its month
        rms_row("DUR-A-0000002", station_code="ELSEWHERE", updated_at="2026-11-01T08:00:00"),  # changed: quarantined
        rms_row("DUR-A-0000002", version=2, updated_at="2026-11-05T08:00:00", outcome_code="22", outcome_date="2026-11-05"),
    ])
    write_custody(landing / "custody/custody_202611.csv", [custody_row(booked_in="02/11/2026 10:00", released="")])
    ingest(landing, home)
    seen = deliveries(home)
    assert seen["rms/arrests_202611.csv"][:5] == ("accepted", 3, 1, 1, 1)
    assert seen["custody/custody_202611.csv"][:5] == ("accepted", 1, 0, 1, 0)
    reasons = [r for (r,) in query(home, "SELECT reason FROM dq.quarantined_rows ORDER BY file_name, row_number")]
    assert "already loaded from another month's delivery" in reasons[0]
    assert "already loaded from an earlier delivery with different values" in reasons[1]


def test_crash_in_the_middle_of_a_delivery_leaves_no_trace(landing, home, tmp_path):
    write_rms(landing / "rms/arrests_202610.csv", [rms_row("DUR-A-0000001"), rms_row("DUR-A-0000002")])
    script = (f"from pathlib import Path; from pipelines.ingest.load import ingest_landing; "
              f"ingest_landing(Path({str(landing)!r}), Path({str(home.build_db)!r}), "
              f"Path({str(home.restricted_db)!r}), {SECRET!r})")
    crashed = subprocess.run([sys.executable, "-c", script], env={"CHECKPOINT_CRASH_POINT": "before_commit",
                             "PATH": "/usr/bin:/bin"}, capture_output=True)
    assert crashed.returncode == 70
    assert query(home, "SELECT count(*) FROM raw.rms_arrests") == [(0,)]
    assert query(home, "SELECT count(*) FROM dq.deliveries") == [(0,)]
    ingest(landing, home)
    assert deliveries(home)["rms/arrests_202610.csv"][:5] == ("accepted", 2, 2, 0, 0)
    assert query(home, "SELECT count(*) FROM raw.rms_arrests") == [(2,)]


def test_no_direct_identifiers_reach_the_build_database(landing, home):
    write_rms(landing / "rms/arrests_202610.csv", [rms_row(surname="Łukasiewicz", forenames="Zoë", person_id="PID-778899")])
    ingest(landing, home)
    con = duckdb.connect(str(home.build_db), read_only=True)
    columns = {c for (c,) in con.execute("SELECT column_name FROM information_schema.columns").fetchall()}
    assert not columns & {"person_id", "surname", "forenames", "date_of_birth"}
    for schema, table in con.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall():
        text = " ".join(str(v) for row in con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall() for v in row)
        for identifier in ("Łukasiewicz", "Zoë", "PID-778899", "1990-05-17"):
            assert identifier not in text, (schema, table, identifier)
    assert con.execute("SELECT age_at_arrest FROM raw.rms_arrests").fetchall() == [(36,)]
    con.close()


def test_a_late_lower_version_loads_nothing_and_says_so(landing, home):
    write_custody(landing / "custody/custody_202610_v2.csv", [custody_row(gravity_score="3")])
    ingest(landing, home)
    write_custody(landing / "custody/custody_202610.csv",
                  [custody_row(), custody_row("DUR/C/26/000002"), custody_row("DUR/C/26/000003", gravity_score="9")])
    ingest(landing, home)
    seen = deliveries(home)
    assert seen["custody/custody_202610_v2.csv"][:5] == ("accepted", 1, 1, 0, 0)
    # Read and validated, but none of its rows is in raw: rows_loaded says 0.
    assert seen["custody/custody_202610.csv"][:5] == ("superseded", 3, 0, 1, 0)
    assert "version 2 of this month is already in force" in seen["custody/custody_202610.csv"][5]
    assert query(home, "SELECT custody_ref, gravity_score FROM raw.custody_records") == [("DUR/C/26/000001", 3)]
    con = duckdb.connect(str(home.build_db), read_only=True)
    try:
        assert reconciliation_failures(con) == []
    finally:
        con.close()


def test_ingest_in_its_own_process_reports_each_delivery_as_in_process(landing, home, tmp_path):
    from pipelines.ingest.isolated import ingest_landing_isolated

    write_rms(landing / "rms/arrests_202610.csv", [rms_row("DUR-A-0000001"), rms_row("DUR-A-0000002")])
    (landing / "notes.txt").write_text("not a delivery")
    heard = []
    report = ingest_landing_isolated(landing, home.build_db, home.restricted_db, SECRET, home.spill, heard.append)
    assert [(r.file_name, r.status, r.rows_loaded) for r in report.results] == [
        ("rms/arrests_202610.csv", "accepted", 2), ("notes.txt", "ignored", None)]
    assert heard == report.results
    assert query(home, "SELECT count(*) FROM raw.rms_arrests") == [(2,)]


def test_ingest_in_its_own_process_raises_its_errors_and_its_death(landing, home, tmp_path, monkeypatch):
    from pipelines.ingest.isolated import IngestProcessDied, ingest_landing_isolated

    with pytest.raises(FileNotFoundError, match="does not exist"):
        ingest_landing_isolated(tmp_path / "nowhere", home.build_db, home.restricted_db, SECRET)
    write_rms(landing / "rms/arrests_202610.csv", [rms_row("DUR-A-0000001")])
    monkeypatch.setenv("CHECKPOINT_CRASH_POINT", "before_commit")  # the child exits there with code 70
    with pytest.raises(IngestProcessDied, match="exit code 70"):
        ingest_landing_isolated(landing, home.build_db, home.restricted_db, SECRET)
    assert query(home, "SELECT count(*) FROM dq.deliveries") == [(0,)]


def test_ingest_connects_with_its_own_memory_limit(landing, home, monkeypatch):
    """Ingest's DuckDB is given CHECKPOINT_INGEST_DUCKDB_MEMORY_LIMIT, not the builds' limit."""
    write_rms(landing / "rms" / "arrests_202610.csv", [rms_row()])
    monkeypatch.setenv("CHECKPOINT_DUCKDB_MEMORY_LIMIT", "not a size")
    monkeypatch.setenv("CHECKPOINT_INGEST_DUCKDB_MEMORY_LIMIT", "not a size either")
    with pytest.raises(duckdb.Error, match="Memory must have a number"):
        ingest(landing, home)
    monkeypatch.setenv("CHECKPOINT_INGEST_DUCKDB_MEMORY_LIMIT", "200MB")
    assert [r.status for r in ingest(landing, home).results] == ["accepted"]
