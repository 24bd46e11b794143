"""The dbt project end to end: a hand-made scenario in a real DuckDB file, one real
`dbt build` (seeds, models, data tests and unit tests), then hand-computed cells of
marts.monthly_measures / marts.monthly_measure_cells and the dq models.

The scenario (months 2024-01 .. 2024-04; every figure below is worked out in the comments):

deliveries  rms       2024-01 accepted, 2024-02 rejected (so RMS is [x] for February),
                      2024-03 and 2024-04 accepted, 2024-05 rejected (no grid month)
            custody   2024-01 v1 superseded by v2 (raw holds only v2), 2024-02, 2024-03,
                      2024-04 header-only (accepted, no rows)
            programme 2024-01 .. 2024-04 accepted; one ignored non-delivery

arrests (current state)                                          custody (booked_in)
  A1 30 M White  092/01 poss. B  EXPUNGED 04-20 (v3; v2 outcome 22) C1 01-05 Y Y ACCEPTED
  A2 18 F Black  092/04 supply A (turns 18 on 2024-01-31; v2 22)    C2 02-01 00:10 Y Y ACCEPTED
  A3 17 M NS     046/01 theft    EXPUNGED 04-10, no contract        C3 01-15 N N (AGE)
  A4 45 X Asian  999/99 other                                       C4 03-01 Y Y DECLINED
  A5 60 U Mixed  092/05 production C                                C5 03-20 Y Y ACCEPTED
  A6 22 M White  092/01 poss. B (same person as A1)                 C6 01-20 Y Y ACCEPTED
  A7 35 F Other  125/01 public order, arrested 2024-02-10 (v1 was in the rejected file)
                                                                    C8 02-10 Y Y ACCEPTED
  A8 40 M White  092/01 poss. C  EXPUNGED 04-05 (v2, outcome 22 03-10)
                                                                    C10 01-10 Y Y ACCEPTED
  (no A99)                                                          C7 03-25 -> A99: orphan

contracts (latest row)  CP1 C1 01-06 COMPLETED 03-02    CP2 C2 02-01 COMPLETED 03-04
                        CP5 C5 03-21 WITHDRAWN 03-28    CP6 C6 01-22 FAILED 03-31
                        CP10 C8 02-12 ACTIVE            CP11 C10 01-11 COMPLETED 03-10
                        CP7 C7 03-25 ACTIVE (custody's arrest missing: held back)
                        CP8 -> C99 04-01 ACTIVE (custody missing: orphan)
sessions                CP1 2024-01-30 REVIEW: first in the February workbook (late),
                        corrected in March; CP1 2024-01-08 ASSESSMENT; CP9 (missing) orphan
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dbt_fixtures as fx  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DBT = REPO / ".venv" / "bin" / "dbt"
MONTHS = ["2024-01", "2024-02", "2024-03", "2024-04"]
CELLS_PER_MONTH = 10 * 29 + 3 * 21 + 1  # counts x all categories, rates x 21, median total

# --------------------------------------------------------------------------- scenario


def _arrest(arrest_id, version, updated_at, person, age, sex, eth, arrested, offence, drug,
            outcome=None, outcome_date=None, status="ACTIVE", expunged=None):
    return {
        "arrest_id": arrest_id, "record_version": version, "updated_at": updated_at,
        "force_code": "DUR", "person_pseudonym": person, "age_at_arrest": age, "sex": sex,
        "ethnicity_code": eth, "arrest_datetime": arrested, "offence_code": offence,
        "drug_class": drug, "station_code": "DUR01", "outcome_code": outcome,
        "outcome_date": outcome_date, "record_status": status, "expunged_date": expunged,
    }


A1 = dict(arrest_id="DUR-A-0000001", person="P1", age=30, sex="M", eth="W1",
          arrested="2024-01-05 10:00:00", offence="092/01", drug="B")
A2 = dict(arrest_id="DUR-A-0000002", person="P2", age=18, sex="F", eth="B1",
          arrested="2024-01-31 23:30:00", offence="092/04", drug="A")
A3 = dict(arrest_id="DUR-A-0000003", person="P3", age=17, sex="M", eth="NS",
          arrested="2024-01-15 09:00:00", offence="046/01", drug=None)
A4 = dict(arrest_id="DUR-A-0000004", person="P4", age=45, sex="X", eth="A1",
          arrested="2024-03-01 00:00:00", offence="999/99", drug=None)
A5 = dict(arrest_id="DUR-A-0000005", person="P5", age=60, sex="U", eth="M1",
          arrested="2024-03-20 12:00:00", offence="092/05", drug="C")
A6 = dict(arrest_id="DUR-A-0000006", person="P1", age=22, sex="M", eth="W2",
          arrested="2024-01-20 14:00:00", offence="092/01", drug="B")
A7 = dict(arrest_id="DUR-A-0000007", person="P7", age=35, sex="F", eth="O1",
          arrested="2024-02-10 18:00:00", offence="125/01", drug=None)
A8 = dict(arrest_id="DUR-A-0000008", person="P8", age=40, sex="M", eth="W1",
          arrested="2024-01-10 08:00:00", offence="092/01", drug="C")

RMS = {  # file month -> record versions written that month
    "2024-01": [
        _arrest(**A1, version=1, updated_at="2024-01-05 10:30:00"),
        _arrest(**A2, version=1, updated_at="2024-01-31 23:45:00"),
        _arrest(**A3, version=1, updated_at="2024-01-15 09:30:00"),
        _arrest(**A6, version=1, updated_at="2024-01-20 14:30:00"),
        _arrest(**A8, version=1, updated_at="2024-01-10 08:30:00"),
    ],
    "2024-03": [
        _arrest(**A1, version=2, updated_at="2024-03-10 09:00:00", outcome="22",
                outcome_date="2024-03-10"),
        _arrest(**A2, version=2, updated_at="2024-03-05 09:00:00", outcome="22",
                outcome_date="2024-03-05"),
        _arrest(**A4, version=1, updated_at="2024-03-01 01:00:00"),
        _arrest(**A5, version=1, updated_at="2024-03-20 13:00:00"),
        _arrest(**A7, version=2, updated_at="2024-03-02 10:00:00"),
    ],
    "2024-04": [
        _arrest(**A1, version=3, updated_at="2024-04-20 09:00:00", outcome="22",
                outcome_date="2024-03-10", status="EXPUNGED", expunged="2024-04-20"),
        _arrest(**A3, version=2, updated_at="2024-04-10 09:00:00", outcome="21",
                outcome_date="2024-02-01", status="EXPUNGED", expunged="2024-04-10"),
        _arrest(**A8, version=2, updated_at="2024-04-05 09:00:00", outcome="22",
                outcome_date="2024-03-10", status="EXPUNGED", expunged="2024-04-05"),
    ],
}


def _custody(ref, arrest_id, booked_in, eligible, offered, response, disposal, reason=None):
    return {
        "custody_ref": ref, "arrest_id": arrest_id, "custody_suite": "Durham Custody Suite",
        "booked_in": booked_in, "released": None, "gravity_score": 2,
        "checkpoint_eligible": eligible, "ineligible_reason": reason,
        "checkpoint_offered": offered, "offer_response": response,
        "custody_disposal": disposal,
    }


CUSTODY = {  # (month, version in force) -> rows
    ("2024-01", 2): [
        _custody("DUR/C/24/000001", A1["arrest_id"], "2024-01-05 11:00:00", "Y", "Y", "ACCEPTED", "CHECKPOINT"),
        _custody("DUR/C/24/000003", A3["arrest_id"], "2024-01-15 10:00:00", "N", "N", None, "NFA", "AGE"),
        _custody("DUR/C/24/000006", A6["arrest_id"], "2024-01-20 15:00:00", "Y", "Y", "ACCEPTED", "CHECKPOINT"),
        _custody("DUR/C/24/000010", A8["arrest_id"], "2024-01-10 09:00:00", "Y", "Y", "ACCEPTED", "CHECKPOINT"),
    ],
    ("2024-02", 1): [
        _custody("DUR/C/24/000002", A2["arrest_id"], "2024-02-01 00:10:00", "Y", "Y", "ACCEPTED", "CHECKPOINT"),
        _custody("DUR/C/24/000008", A7["arrest_id"], "2024-02-10 19:00:00", "Y", "Y", "ACCEPTED", "CHECKPOINT"),
    ],
    ("2024-03", 1): [
        _custody("DUR/C/24/000004", A4["arrest_id"], "2024-03-01 01:00:00", "Y", "Y", "DECLINED", "CHARGED"),
        _custody("DUR/C/24/000005", A5["arrest_id"], "2024-03-20 13:00:00", "Y", "Y", "ACCEPTED", "CHECKPOINT"),
        _custody("DUR/C/24/000007", "DUR-A-0000099", "2024-03-25 10:00:00", "Y", "Y", "ACCEPTED", "CHECKPOINT"),
    ],
    ("2024-04", 1): [],  # header only
}

# contract_ref, custody_ref, start_date, final status, status_date, failure_reason
CONTRACTS = [
    ("CP-000001", "DUR/C/24/000001", "2024-01-06", "COMPLETED", "2024-03-02", None),
    ("CP-000002", "DUR/C/24/000002", "2024-02-01", "COMPLETED", "2024-03-04", None),
    ("CP-000005", "DUR/C/24/000005", "2024-03-21", "WITHDRAWN", "2024-03-28", None),
    ("CP-000006", "DUR/C/24/000006", "2024-01-22", "FAILED", "2024-03-31", "NON_ATTENDANCE"),
    ("CP-000010", "DUR/C/24/000008", "2024-02-12", "ACTIVE", None, None),
    ("CP-000011", "DUR/C/24/000010", "2024-01-11", "COMPLETED", "2024-03-10", None),
    ("CP-000007", "DUR/C/24/000007", "2024-03-25", "ACTIVE", None, None),
    ("CP-000008", "DUR/C/24/000099", "2024-04-01", "ACTIVE", None, None),
]

SESSIONS = {  # workbook month -> sessions recorded in it
    "2024-01": [("CP-000001", "2024-01-08", "ASSESSMENT", "ATTENDED", 2.0)],
    "2024-02": [("CP-000001", "2024-01-30", "REVIEW", "MISSED", 1.0)],
    "2024-03": [("CP-000001", "2024-01-30", "REVIEW", "ATTENDED", 1.5),
                ("CP-000009", "2024-03-03", "ASSESSMENT", "ATTENDED", 2.0)],
    "2024-04": [],
}


def _month_end(month: str) -> date:
    y, m = map(int, month.split("-"))
    return (date(y + m // 12, m % 12 + 1, 1)) - timedelta(days=1)


def _plus_four_months(d: str) -> str:
    y, m, day = map(int, d.split("-"))
    m += 4
    y, m = y + (m - 1) // 12, (m - 1) % 12 + 1
    last = _month_end(f"{y:04d}-{m:02d}").day
    return f"{y:04d}-{m:02d}-{min(day, last):02d}"


def _snapshot(month: str) -> list[dict]:
    """The Contracts sheet of month's workbook: every contract started by its end, as then."""
    end = _month_end(month).isoformat()
    rows = []
    for ref, custody, start, status, status_date, reason in CONTRACTS:
        if start > end:
            continue
        reached = status_date is not None and status_date <= end
        rows.append({
            "contract_ref": ref, "custody_ref": custody, "start_date": start,
            "planned_end_date": _plus_four_months(start),
            "status": status if reached else "ACTIVE",
            "status_date": status_date if reached else None,
            "failure_reason": reason if reached else None,
        })
    return rows


def write_scenario(path: Path) -> None:
    """The scenario of this module's docstring, written to a new DuckDB file."""
    con = duckdb.connect(str(path))
    try:
        fx.create_raw_and_dq_tables(con)
        # RMS: February's only delivery was rejected; May's too (it adds no grid month).
        for month in MONTHS:
            if month == "2024-02":
                fx.add_delivery(con, "rms", month, status="rejected", reason="wrong encoding")
                continue
            rows = RMS.get(month, [])
            fx.add_delivery(con, "rms", month, rows_loaded=len(rows))
            fx.insert_rows(con, "raw.rms_arrests", rows, source="rms", month=month)
        fx.add_delivery(con, "rms", "2024-05", status="rejected", reason="header lacks sex")
        # Custody: January v1 superseded by v2 (its rows deleted from raw); April header-only.
        fx.add_delivery(con, "custody", "2024-01", 1, status="superseded", rows_loaded=5)
        for (month, version), rows in CUSTODY.items():
            fx.add_delivery(con, "custody", month, version, rows_loaded=len(rows))
            fx.insert_rows(con, "raw.custody_records", rows, source="custody", month=month,
                           version=version)
        # Programme: a whole contract snapshot plus the sessions recorded, every month.
        for month in MONTHS:
            contracts = _snapshot(month)
            sessions = [dict(zip(("contract_ref", "session_date", "session_type",
                                  "attendance", "hours"), s)) for s in SESSIONS[month]]
            fx.add_delivery(con, "programme", month, rows_loaded=len(contracts) + len(sessions))
            fx.insert_rows(con, "raw.programme_contracts", contracts, source="programme",
                           month=month)
            fx.insert_rows(con, "raw.programme_sessions", sessions, source="programme",
                           month=month)
        fx.add_delivery(con, None, None, status="ignored", name="rms/~$arrests_202403.csv",
                        reason="not a delivery name")
    finally:
        con.close()


# --------------------------------------------------------------------------- the build


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Write the scenario, run one real `dbt build`, hand back (db path, its run results)."""
    work = tmp_path_factory.mktemp("dbt_build")
    db = work / "build.duckdb"
    write_scenario(db)
    env = {**os.environ, "CHECKPOINT_BUILD_DB": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(
        [str(DBT), "build", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
         "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    run_results = json.loads((work / "target" / "run_results.json").read_text())
    return db, run_results["results"]


@pytest.fixture(scope="module")
def con(built):
    db, _ = built
    connection = duckdb.connect(str(db), read_only=True)
    yield connection
    connection.close()


def cell(con, period, measure, breakdown="total", category="all", column="value"):
    rows = con.execute(
        f"SELECT {column} FROM marts.monthly_measure_cells "
        "WHERE period = ? AND measure = ? AND breakdown = ? AND category = ?",
        [period, measure, breakdown, category],
    ).fetchall()
    assert len(rows) == 1, (period, measure, breakdown, category, rows)
    return rows[0][0]


def value(con, period, measure, breakdown="total", category="all"):
    rows = con.execute(
        "SELECT value FROM marts.monthly_measures "
        "WHERE period = ? AND measure = ? AND breakdown = ? AND category = ?",
        [period, measure, breakdown, category],
    ).fetchall()
    assert len(rows) == 1, (period, measure, breakdown, category, rows)
    return rows[0][0]


# --------------------------------------------------------------------------- tests


def test_build_runs_every_node_and_warns_only_on_consistency(built):
    _, results = built
    statuses = {}
    for result in results:
        statuses.setdefault(result["status"], []).append(result["unique_id"])
    # seeds, models, data tests and unit tests all ran; nothing failed or was skipped
    assert set(statuses) <= {"success", "pass", "warn", "no-op"}, statuses
    kinds = {uid.split(".")[0] for uid in
             statuses.get("success", []) + statuses.get("pass", [])}
    assert {"seed", "model", "test", "unit_test"} <= kinds
    # the scenario breaks warn-level sameness checks on purpose (test_consistency_checks)
    assert [uid.split(".")[2] for uid in statuses["warn"]] == [
        "no_failed_consistency_checks_consistency_checks_warn"]


def test_docs_generate_documents_every_model_and_column_for_analysts(built):
    # Runs before any test opens the module's read-only connection (dbt needs the file).
    db, _ = built
    work = db.parent
    env = {**os.environ, "CHECKPOINT_BUILD_DB": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(
        [str(DBT), "docs", "generate", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
         "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:]
    catalog = json.loads((work / "target" / "catalog.json").read_text())
    manifest = json.loads((work / "target" / "manifest.json").read_text())
    assert (work / "target" / "index.html").exists()
    undocumented = []
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] != "model":
            continue
        if not node["description"].strip():
            undocumented.append(unique_id)
        for column in catalog["nodes"][unique_id]["columns"]:
            if not node["columns"].get(column.lower(), {}).get("description", "").strip():
                undocumented.append(f"{unique_id}.{column}")
    assert undocumented == []
    assert "exposure.checkpoint.monthly_publication" in manifest["exposures"]


def test_grid_is_complete_and_ordered(con):
    months = [r[0] for r in con.execute(
        "SELECT DISTINCT period FROM marts.monthly_measure_cells ORDER BY 1").fetchall()]
    assert months == MONTHS  # the rejected 2024-05 and the ignored file add no month
    (n,) = con.execute("SELECT count(*) FROM marts.monthly_measure_cells").fetchone()
    assert n == len(MONTHS) * CELLS_PER_MONTH
    (m,) = con.execute("SELECT count(*) FROM marts.monthly_measures").fetchone()
    assert m == n
    (dups,) = con.execute(
        "SELECT count(*) - count(DISTINCT (period, measure, breakdown, category)) "
        "FROM marts.monthly_measure_cells").fetchone()
    assert dups == 0
    per_measure = dict(con.execute(
        "SELECT measure, count(*) FROM marts.monthly_measure_cells WHERE period = '2024-01' "
        "GROUP BY measure").fetchall())
    assert per_measure["offers_made"] == 29
    assert per_measure["acceptance_rate"] == 21
    assert per_measure["median_days_to_expungement"] == 1
    first = con.execute("SELECT period, measure, breakdown, category FROM marts.monthly_measures "
                        "LIMIT 2").fetchall()
    assert first == [("2024-01", "arrests_in_scope", "total", "all"),
                     ("2024-01", "arrests_in_scope", "sex", "M")]


def test_arrests_in_scope(con):
    # January: A1, A2 (supply after 2018, 18 on the arrest date, 23:30 on 31 Jan), A6, A8.
    # Not A3 (17). March: A4 (unlisted code -> other) and A5 (production) are never in scope.
    assert value(con, "2024-01", "arrests_in_scope") == 4
    assert value(con, "2024-01", "arrests_in_scope", "sex", "M") == 3
    assert value(con, "2024-01", "arrests_in_scope", "sex", "F") == 1
    assert value(con, "2024-01", "arrests_in_scope", "age_band", "18-24") == 2
    assert value(con, "2024-01", "arrests_in_scope", "age_band", "0-17") == 0
    assert value(con, "2024-01", "arrests_in_scope", "offence_group", "supply") == 1
    assert value(con, "2024-01", "arrests_in_scope", "offence_group", "possession") == 3
    assert value(con, "2024-01", "arrests_in_scope", "drug_class", "none") == 0
    assert value(con, "2024-03", "arrests_in_scope") == 0
    assert cell(con, "2024-03", "arrests_in_scope", column="numerator") == 0


def test_missing_rms_delivery_gives_no_value_for_every_category(con):
    # A7 was arrested in February, but RMS has no accepted delivery for February.
    rows = con.execute(
        "SELECT DISTINCT measure, value, numerator, source_available "
        "FROM marts.monthly_measure_cells WHERE period = '2024-02' AND measure IN "
        "('arrests_in_scope','records_expunged','median_days_to_expungement','awaiting_expungement')"
    ).fetchall()
    assert sorted(rows) == sorted(
        (m, None, None, False) for m in
        ("arrests_in_scope", "records_expunged", "median_days_to_expungement", "awaiting_expungement"))
    # programme measures are never missing; custody was delivered for February
    assert cell(con, "2024-02", "active_contracts", column="source_available") is True
    assert value(con, "2024-02", "offers_made") == 2


def test_custody_measures(con):
    # January v2 in force: C1, C3 (not eligible), C6, C10.
    assert value(con, "2024-01", "assessed_eligible") == 3
    assert value(con, "2024-01", "offers_made") == 3
    assert value(con, "2024-01", "offers_accepted") == 3
    # C2 booked in at 00:10 on 1 February counts in February although its arrest was January's
    assert value(con, "2024-02", "offers_accepted") == 2
    assert value(con, "2024-02", "offers_accepted", "age_band", "18-24") == 1
    # March: C4 declined, C5 accepted; C7's arrest is not loaded, so it is held back
    assert value(con, "2024-03", "offers_made") == 2
    assert value(con, "2024-03", "acceptance_rate") == pytest.approx(50.0)
    assert cell(con, "2024-03", "acceptance_rate", column="numerator") == 1
    assert cell(con, "2024-03", "acceptance_rate", column="denominator") == 2
    assert value(con, "2024-03", "acceptance_rate", "sex", "X") == pytest.approx(0.0)
    assert value(con, "2024-03", "acceptance_rate", "sex", "U") == pytest.approx(100.0)
    assert value(con, "2024-03", "acceptance_rate", "sex", "M") is None  # denominator 0
    # April's delivery is header-only: available, everything 0, the rate has no value
    assert value(con, "2024-04", "offers_made") == 0
    assert value(con, "2024-04", "acceptance_rate") is None
    assert cell(con, "2024-04", "acceptance_rate", column="source_available") is True
    assert cell(con, "2024-04", "acceptance_rate", column="denominator") == 0


def test_programme_flow_measures(con):
    assert value(con, "2024-01", "diversions_started") == 3  # CP1, CP6, CP11
    assert value(con, "2024-02", "diversions_started") == 2  # CP2, CP10
    assert value(con, "2024-03", "diversions_started") == 1  # CP5; CP7 held back
    assert value(con, "2024-04", "diversions_started") == 0  # CP8 is an orphan
    assert value(con, "2024-03", "contracts_completed") == 3
    assert value(con, "2024-03", "contracts_failed") == 1
    # completion: 3 completed / (3 + 1 failed); CP5 WITHDRAWN counts in neither
    assert value(con, "2024-03", "completion_rate") == pytest.approx(75.0)
    assert cell(con, "2024-03", "completion_rate", column="denominator") == 4
    assert value(con, "2024-02", "completion_rate") is None


def test_cohort_completion_rate(con):
    assert value(con, "2024-01", "cohort_completion_rate") == pytest.approx(200 / 3)
    assert cell(con, "2024-01", "cohort_completion_rate", column="cohort_has_active") is False
    assert value(con, "2024-02", "cohort_completion_rate") == pytest.approx(50.0)
    assert cell(con, "2024-02", "cohort_completion_rate", column="cohort_has_active") is True
    assert value(con, "2024-03", "cohort_completion_rate") == pytest.approx(0.0)
    assert value(con, "2024-04", "cohort_completion_rate") is None
    assert cell(con, "2024-01", "offers_made", column="cohort_has_active") is None


def test_active_contracts_as_at_end_of_month(con):
    assert value(con, "2024-01", "active_contracts") == 3
    assert value(con, "2024-02", "active_contracts") == 5
    # CP6 failed on 31 March: no longer active as at the end of March
    assert value(con, "2024-03", "active_contracts") == 1
    assert value(con, "2024-04", "active_contracts") == 1


def test_awaiting_expungement_28_day_rule_and_as_at(con):
    # March (end 31st, cutoff 3rd): CP1 completed 2 March; its arrest A1 is EXPUNGED now but
    # only from 20 April, so as at 31 March it awaits. CP2 (4 March) is not 28 days old yet.
    assert value(con, "2024-03", "awaiting_expungement") == 1
    assert value(con, "2024-03", "awaiting_expungement", "age_band", "25-34") == 1
    # April (cutoff 2nd): CP2's arrest A2 is not expunged; A1 and A8 are, as at 30 April.
    assert value(con, "2024-04", "awaiting_expungement") == 1
    assert value(con, "2024-04", "awaiting_expungement", "sex", "F") == 1
    assert value(con, "2024-01", "awaiting_expungement") == 0


def test_records_expunged_and_median_of_even_count(con):
    # April: A1 (49 days after CP1), A8 (26 days after CP11), A3 (no contract).
    assert value(con, "2024-04", "records_expunged") == 3
    assert value(con, "2024-04", "median_days_to_expungement") == pytest.approx(37.5)
    assert cell(con, "2024-04", "median_days_to_expungement", column="n_values") == 2
    assert cell(con, "2024-04", "median_days_to_expungement", column="numerator") is None
    assert value(con, "2024-03", "median_days_to_expungement") is None
    assert cell(con, "2024-03", "median_days_to_expungement", column="n_values") == 0


def test_facts_hold_back_broken_chains(con):
    def keys(sql):
        return sorted(r[0] for r in con.execute(sql).fetchall())

    assert len(keys("SELECT arrest_id FROM marts.fct_arrests")) == 8
    assert "DUR/C/24/000007" not in keys("SELECT custody_ref FROM marts.fct_custody_decisions")
    assert keys("SELECT contract_ref FROM marts.fct_contracts") == [
        "CP-000001", "CP-000002", "CP-000005", "CP-000006", "CP-000010", "CP-000011"]
    assert con.execute(
        "SELECT attendance, hours, is_recorded_late FROM marts.fct_sessions "
        "WHERE contract_ref = 'CP-000001' AND session_type = 'REVIEW'").fetchall() == [
        ("ATTENDED", 1.5, True)]
    assert con.execute("SELECT arrest_count FROM marts.dim_person "
                       "WHERE person_pseudonym = 'P1'").fetchall() == [(2,)]
    assert con.execute("SELECT offence_group, is_listed FROM marts.dim_offence "
                       "WHERE offence_code = '999/99'").fetchall() == [("other", False)]
    # A7's current state is its version 2: version 1 was in the rejected February file
    assert con.execute("SELECT record_version FROM marts.fct_arrests "
                       "WHERE arrest_id = 'DUR-A-0000007'").fetchall() == [(2,)]


def test_orphan_references(con):
    rows = con.execute(
        "SELECT source_table, row_key, missing_table, missing_key, source_month, file_name "
        "FROM dq.orphan_references ORDER BY source_table").fetchall()
    assert rows == [
        ("raw.custody_records", "DUR/C/24/000007", "raw.rms_arrests", "DUR-A-0000099",
         "2024-03", "custody/custody_202403.csv"),
        ("raw.programme_contracts", "CP-000008", "raw.custody_records", "DUR/C/24/000099",
         "2024-04", "programme/checkpoint_programme_202404.xlsx"),
        ("raw.programme_sessions", "CP-000009|2024-03-03|ASSESSMENT", "raw.programme_contracts",
         "CP-000009", "2024-03", "programme/checkpoint_programme_202403.xlsx"),
    ]


def test_consistency_checks(con):
    rows = {(r[0], r[1]): r[2:] for r in con.execute(
        "SELECT check_name, period, left_value, right_value, difference, relative_difference, "
        "tolerance, severity, passed FROM dq.consistency_checks").fetchall()}
    # custody is available every month; RMS not in February (no row for it)
    assert ("contracts_completed_vs_arrests_outcome_22", "2024-02") not in rows
    assert rows[("checkpoint_disposals_vs_diversions_started", "2024-03")] == (
        2, 2, 0, 0.0, 0.10, "warn", True)  # C5 and the held-back C7; CP5 and CP7
    assert rows[("checkpoint_disposals_vs_diversions_started", "2024-04")] == (
        0, 1, -1, 1.0, 0.10, "warn", False)  # CP8 started, its custody record never came
    assert rows[("contracts_completed_vs_arrests_outcome_22", "2024-03")] == (
        3, 3, 0, 0.0, 0.10, "warn", True)
    # April: A1, A3 and A8 expunged; A3 has no COMPLETED contract to explain it
    left, right, difference, relative, tolerance, severity, passed = rows[
        ("arrests_expunged_vs_contracts_completed", "2024-04")]
    assert (left, right, difference, tolerance, severity, passed) == (3, 2, 1, 0.10, "warn", False)
    assert relative == pytest.approx(1 / 3)


def test_dim_date_covers_data(con):
    first, last, n = con.execute(
        "SELECT min(date_day), max(date_day), count(*) FROM marts.dim_date").fetchone()
    assert first == date(2024, 1, 1)
    assert last == date(2024, 8, 31)  # CP8's planned end date, 2024-08-01
    assert n == (last - first).days + 1
