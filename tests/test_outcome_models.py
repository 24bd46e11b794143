"""The outcome models (outcomes.md) on a hand-made scenario: a real DuckDB file, one real
`dbt build` of the outcome models and their ancestors, then hand-worked figures.

Months 2023-01 .. 2025-03, so P = 2025-03: rolling rates and RRIs for 2023-12 .. 2025-03;
12-month re-arrest for cohort months up to 2024-03, 12-month reoffending up to 2023-09,
24-month re-arrest up to 2023-03, 24-month reoffending for none.

Deliveries: every source every month, except RMS 2023-01 (rejected: every cohort measure of
2023-01 is [x], its follow-up not delivered) and custody 2024-02 (rejected: acceptance
rolling rates whose window holds February 2024 are [x]).

Follow-up cases, one person each (index date D, the later arrests of that person):

  ON_INDEX_DAY  D 2023-03-10, an arrest on 2023-03-10           not re-arrested
  DAY_AFTER     D 2023-03-10, an arrest on 2023-03-11           re-arrested, 1 day
  AT_12_MONTHS  D 2023-03-10, an arrest on 2024-03-10           re-arrested within 12
  AFTER_12      D 2023-03-10, an arrest on 2024-03-11           only within 24
  OWN_VERSIONS  D 2023-03-10, the index arrest's version 2 (2023-06) and nothing else: not
  FROM_31ST_IN  D 2023-08-31, an arrest on 2024-08-31, outcome 1 on 2025-02-28 (the wait's
                end, (2024-08-31) + 6 months clamped): re-arrested and reoffended
  FROM_31ST_OUT D 2023-08-31, an arrest on 2024-08-30, outcome 3 on 2025-03-01: re-arrested,
                not reoffended
  EXPUNGED      D 2023-03-10, a later arrest since EXPUNGED, outcome 8 within the wait:
                re-arrested and reoffended (an expunged arrest still happened)
  NOT_REOFFENCE D 2023-03-10, a later arrest with outcome 22: re-arrested, not reoffended
  DECLINED      custody record DECLINED 2023-04-05, an arrest on 2023-10-01
  JANUARY       a contract of 2023-01 (RMS missing that month): counted, cells [x]
  TOO_RECENT    a contract of 2024-06: no cohort cell yet, its flags NULL

Rolling window 2024-04 .. 2025-03 (custody records booked 2024-12-05, contracts with
status_date 2024-12-20):

  ethnicity  sex  eligible  offered  accepted     offer RRI a/n, acceptance RRI a/n
  White      M    20        10       5            reference: c/m 10/20 and 5/10
  Other      F    10        10       0            2.0; acceptance 0 of 10: no value ([z])
  Black      X    10        0        0            0 of 10: no value ([z])
  Asian      X    13        10       10           (10/13)/(10/20); acceptance 2.0
  acceptance_rate_12m by sex: M 5 of 10, F 0 of 10, X 10 of 10 (the Wilson worked values);
  TOO_RECENT's accepted offer (sex U, ethnicity not stated) adds 1 of 1 to the total.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dbt_fixtures as fx  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DBT = REPO / ".venv" / "bin" / "dbt"
FIRST, LAST = "2023-01", "2025-03"
Z = 1.959964


def months(first: str, last: str) -> list[str]:
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


# --------------------------------------------------------------------------- scenario

_arrest_numbers = iter(range(1, 100_000))
_custody_numbers = iter(range(1, 100_000))


def arrest(person, arrested, version=1, updated=None, eth="W1", sex="M", age=30,
           outcome=None, outcome_date=None, status="ACTIVE", expunged=None, arrest_id=None):
    return {
        "arrest_id": arrest_id or f"DUR-A-{next(_arrest_numbers):07d}", "record_version": version,
        "updated_at": updated or f"{arrested} 12:00:00", "force_code": "DUR",
        "person_pseudonym": person, "age_at_arrest": age, "sex": sex, "ethnicity_code": eth,
        "arrest_datetime": f"{arrested} 10:00:00", "offence_code": "092/01", "drug_class": "B",
        "station_code": "DUR01", "outcome_code": outcome, "outcome_date": outcome_date,
        "record_status": status, "expunged_date": expunged,
    }


def custody(arrest_row, booked, eligible="Y", offered="Y", response="ACCEPTED"):
    disposal = "CHECKPOINT" if response == "ACCEPTED" else "CHARGED"
    return {
        "custody_ref": f"DUR/C/{booked[2:4]}/{next(_custody_numbers):06d}",
        "arrest_id": arrest_row["arrest_id"], "custody_suite": "Durham Custody Suite",
        "booked_in": f"{booked} 11:00:00", "released": None, "gravity_score": 2,
        "checkpoint_eligible": eligible, "ineligible_reason": None if eligible == "Y" else "AGE",
        "checkpoint_offered": offered, "offer_response": response if offered == "Y" else None,
        "custody_disposal": disposal if offered == "Y" else "NFA",
    }


def plus_four_months(d: str) -> str:
    y, m, day = map(int, d.split("-"))
    m += 4
    y, m = y + (m - 1) // 12, (m - 1) % 12 + 1
    last = [31, 29 if y % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
    return f"{y:04d}-{m:02d}-{min(day, last):02d}"


def contract(ref, custody_row, start, status="ACTIVE", status_date=None):
    return {
        "contract_ref": ref, "custody_ref": custody_row["custody_ref"], "start_date": start,
        "planned_end_date": plus_four_months(start), "status": status,
        "status_date": status_date, "failure_reason": "NON_COMPLIANCE" if status == "FAILED" else None,
    }


class Scenario:
    def __init__(self):
        self.arrests: list[dict] = []
        self.custody: list[dict] = []
        self.contracts: list[dict] = []
        self.members: dict[str, str] = {}  # case -> member_key

    def diverted(self, case, day, later=(), index_versions=(), status="ACTIVE", status_date=None,
                 **attributes):
        """A person arrested and diverted on ``day`` (D), with later arrests."""
        person = f"PERSON-{case}"
        index = arrest(person, day, **attributes)
        self.arrests.append(index)
        for version, updated, outcome, outcome_date in index_versions:
            self.arrests.append({**index, "record_version": version, "updated_at": updated,
                                 "outcome_code": outcome, "outcome_date": outcome_date})
        for row in later:
            self.arrests.append(arrest(person, **row))
        record = custody(index, day)
        self.custody.append(record)
        ref = f"CP-{len(self.contracts) + 1:06d}"
        self.contracts.append(contract(ref, record, day, status, status_date))
        self.members[case] = ref

    def declined(self, case, day, later=()):
        person = f"PERSON-{case}"
        index = arrest(person, day)
        self.arrests.append(index)
        for row in later:
            self.arrests.append(arrest(person, **row))
        record = custody(index, day, response="DECLINED")
        self.custody.append(record)
        self.members[case] = record["custody_ref"]


def build_scenario() -> Scenario:
    s = Scenario()
    s.diverted("ON_INDEX_DAY", "2023-03-10", [dict(arrested="2023-03-10")])
    s.diverted("DAY_AFTER", "2023-03-10", [dict(arrested="2023-03-11")])
    s.diverted("AT_12_MONTHS", "2023-03-10", [dict(arrested="2024-03-10")])
    s.diverted("AFTER_12", "2023-03-10", [dict(arrested="2024-03-11")])
    s.diverted("OWN_VERSIONS", "2023-03-10",
               index_versions=[(2, "2023-06-01 09:00:00", "1", "2023-06-01")])
    s.diverted("FROM_31ST_IN", "2023-08-31",
               [dict(arrested="2024-08-31", outcome="1", outcome_date="2025-02-28",
                     updated="2025-02-28 12:00:00")])
    s.diverted("FROM_31ST_OUT", "2023-08-31",
               [dict(arrested="2024-08-30", outcome="3", outcome_date="2025-03-01",
                     updated="2025-03-01 12:00:00")])
    s.diverted("EXPUNGED", "2023-03-10",
               [dict(arrested="2023-05-01", outcome="8", outcome_date="2023-06-01",
                     status="EXPUNGED", expunged="2023-12-01", updated="2023-12-01 12:00:00")])
    s.diverted("NOT_REOFFENCE", "2023-03-10",
               [dict(arrested="2023-05-01", outcome="22", outcome_date="2023-06-01",
                     updated="2023-06-01 12:00:00")])
    s.declined("DECLINED", "2023-04-05", [dict(arrested="2023-10-01")])
    s.diverted("JANUARY", "2023-01-15")
    # in the rolling window too: sex U and ethnicity not stated keep it out of the cells below
    s.diverted("TOO_RECENT", "2024-06-03", sex="U", eth="NS")
    # the rolling window's custody records and contracts
    for eth, sex, eligible, offered, accepted in (("W1", "M", 20, 10, 5), ("O1", "F", 10, 10, 0),
                                                  ("B1", "X", 10, 0, 0), ("A1", "X", 13, 10, 10)):
        for i in range(eligible):
            row = arrest(f"PERSON-ROLLING-{eth}-{i}", "2024-12-05", eth=eth, sex=sex)
            s.arrests.append(row)
            response = "ACCEPTED" if i < accepted else "DECLINED"
            s.custody.append(custody(row, "2024-12-05", offered="Y" if i < offered else "N",
                                     response=response))
    return s


SCENARIO = build_scenario()


def write_scenario(path: Path) -> None:
    con = duckdb.connect(str(path))
    try:
        fx.create_raw_and_dq_tables(con)
        for month in months(FIRST, LAST):
            if month == "2023-01":
                fx.add_delivery(con, "rms", month, status="rejected", reason="wrong encoding")
            elif month == LAST:  # every version in the last delivery, as a late re-send would
                fx.add_delivery(con, "rms", month, rows_loaded=len(SCENARIO.arrests))
                fx.insert_rows(con, "raw.rms_arrests", SCENARIO.arrests, source="rms", month=month)
            else:
                fx.add_delivery(con, "rms", month)
            rows = [c for c in SCENARIO.custody if c["booked_in"][:7] == month]
            if month == "2024-02":
                fx.add_delivery(con, "custody", month, status="rejected", reason="missing column")
            else:
                fx.add_delivery(con, "custody", month, rows_loaded=len(rows))
                fx.insert_rows(con, "raw.custody_records", rows, source="custody", month=month)
            if month == LAST:
                fx.add_delivery(con, "programme", month, rows_loaded=len(SCENARIO.contracts))
                fx.insert_rows(con, "raw.programme_contracts", SCENARIO.contracts,
                               source="programme", month=month)
            else:
                fx.add_delivery(con, "programme", month)
    finally:
        con.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("outcome_build")
    db = work / "build.duckdb"
    write_scenario(db)
    env = {**os.environ, "CHECKPOINT_BUILD_DB": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(
        [str(DBT), "build", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
         "--select", "+outcome_measures", "+fct_contract_outcomes", "--indirect-selection", "cautious",
         "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return db, json.loads((work / "target" / "run_results.json").read_text())["results"]


@pytest.fixture(scope="module")
def con(built):
    connection = duckdb.connect(str(built[0]), read_only=True)
    yield connection
    connection.close()


def follow_up(con, case, horizon=12):
    rows = con.execute(
        "SELECT is_rearrested, is_reoffended, days_to_first_later_arrest, window_end, "
        "outcome_deadline FROM intermediate.int_outcome_follow_up "
        "WHERE member_key = ? AND horizon_months = ?", [SCENARIO.members[case], horizon]).fetchall()
    assert len(rows) == 1, (case, rows)
    return rows[0]


def measure(con, period, name, breakdown="total", category="all"):
    rows = con.execute(
        "SELECT value, lower_95, upper_95, numerator, denominator FROM marts.outcome_measures "
        "WHERE period = ? AND measure = ? AND breakdown = ? AND category = ?",
        [period, name, breakdown, category]).fetchall()
    assert len(rows) <= 1
    return rows[0] if rows else None


# --------------------------------------------------------------------------- follow-up


def test_build_ran_the_outcome_models_and_their_tests(built):
    _, results = built
    ran = {r["unique_id"].split(".")[2] for r in results if r["status"] in ("success", "pass")}
    assert {"int_outcome_cohort_members", "int_outcome_follow_up", "int_outcome_grid",
            "outcome_measure_cells", "outcome_measures", "fct_contract_outcomes"} <= ran
    assert not [r for r in results if r["status"] in ("error", "fail", "skipped")]


@pytest.mark.parametrize("case,rearrested,days", [
    ("ON_INDEX_DAY", False, None),   # the index date is not in the window
    ("DAY_AFTER", True, 1),          # the window starts the day after D
    ("AT_12_MONTHS", True, 366),     # D + 12 months is the window's last day (2024 is leap)
    ("AFTER_12", False, None),
    ("OWN_VERSIONS", False, None),   # the index arrest's later versions are never a later arrest
])
def test_window_edges_at_12_months(con, case, rearrested, days):
    is_rearrested, _, first_days, _, _ = follow_up(con, case)
    assert (is_rearrested, first_days) == (rearrested, days)


def test_a_later_arrest_a_day_after_12_months_counts_within_24(con):
    assert follow_up(con, "AFTER_12", 24)[0] is True


def test_a_window_from_the_31st_and_the_six_month_wait(con):
    from datetime import date
    rearrested, reoffended, _, end, deadline = follow_up(con, "FROM_31ST_IN")
    assert (end, deadline) == (date(2024, 8, 31), date(2025, 2, 28))  # clamped to February
    assert (rearrested, reoffended) == (True, True)                   # outcome on the deadline
    rearrested, reoffended, *_ = follow_up(con, "FROM_31ST_OUT")
    assert (rearrested, reoffended) == (True, False)                  # outcome a day late


def test_expunged_later_arrest_counts_and_outcome_22_is_no_reoffence(con):
    assert follow_up(con, "EXPUNGED")[:2] == (True, True)
    assert follow_up(con, "NOT_REOFFENCE")[:2] == (True, False)


def test_declined_cohort_is_followed_from_booked_in(con):
    # 2023-04-05 -> 2023-10-01 is 179 days; no outcome recorded, so not reoffended
    assert follow_up(con, "DECLINED")[:3] == (True, False, 179)


def test_fct_contract_outcomes_leaves_an_unfinished_follow_up_unknown(con):
    rows = dict(con.execute(
        "SELECT member_key, [rearrested_12m, reoffended_12m, rearrested_24m] "
        "FROM marts.fct_contract_outcomes").fetchall())
    assert rows[SCENARIO.members["TOO_RECENT"]] == [None, None, None]    # 2024-06 > P - 12
    assert rows[SCENARIO.members["FROM_31ST_IN"]] == [True, True, None]  # 2023-08 <= P - 18
    assert rows[SCENARIO.members["AFTER_12"]] == [False, False, True]    # 2023-03 <= P - 24
    (n,) = con.execute("SELECT count(*) FROM marts.fct_contract_outcomes WHERE cohort = 'declined'").fetchone()
    declined = sum(1 for c in SCENARIO.custody if c["offer_response"] == "DECLINED")
    assert n == declined
    columns = {r[0] for r in con.execute("DESCRIBE marts.fct_contract_outcomes").fetchall()}
    assert not columns & {"person_id", "surname", "forenames", "date_of_birth"}


# --------------------------------------------------------------------------- cohort cells


def test_cohort_cells_and_which_cohort_months_appear(con):
    periods = {m: [r[0] for r in con.execute(
        "SELECT DISTINCT period FROM marts.outcome_measures WHERE measure = ? ORDER BY 1", [m]).fetchall()]
        for m in ("diverted_cohort", "rearrest_rate_12m", "reoffending_rate_12m", "rearrest_rate_24m",
                  "reoffending_rate_24m", "declined_cohort", "acceptance_rate_12m", "offer_rri_12m")}
    assert periods["diverted_cohort"] == months(FIRST, "2024-03")
    assert periods["rearrest_rate_12m"] == months(FIRST, "2024-03")
    assert periods["reoffending_rate_12m"] == months(FIRST, "2023-09")
    assert periods["rearrest_rate_24m"] == months(FIRST, "2023-03")
    assert periods["reoffending_rate_24m"] == []
    assert periods["declined_cohort"] == months(FIRST, "2024-03")
    assert periods["acceptance_rate_12m"] == months("2023-12", LAST)
    assert periods["offer_rri_12m"] == months("2023-12", LAST)
    # March 2023: ON_INDEX_DAY, DAY_AFTER, AT_12_MONTHS, AFTER_12, OWN_VERSIONS, EXPUNGED,
    # NOT_REOFFENCE -> 7 contracts; 4 re-arrested within 12 (DAY_AFTER, AT_12_MONTHS,
    # EXPUNGED, NOT_REOFFENCE), 5 within 24 (and AFTER_12); 1 reoffended (EXPUNGED)
    assert measure(con, "2023-03", "diverted_cohort")[0] == 7
    assert measure(con, "2023-03", "diverted_cohort")[3:] == (None, None)
    value, lower, upper, x, n = measure(con, "2023-03", "rearrest_rate_12m")
    assert (x, n) == (4, 7) and value == pytest.approx(400 / 7)
    assert measure(con, "2023-03", "reoffending_rate_12m")[3:] == (1, 7)
    assert measure(con, "2023-03", "rearrest_rate_24m")[3:] == (5, 7)
    assert measure(con, "2023-03", "rearrest_rate_12m", "contract_status", "ACTIVE")[3:] == (4, 7)
    assert measure(con, "2023-03", "rearrest_rate_12m", "contract_status", "FAILED")[:5] == (None, None, None, 0, 0)
    assert measure(con, "2023-08", "reoffending_rate_12m")[3:] == (1, 2)
    assert measure(con, "2023-04", "declined_rearrest_rate_12m")[3:] == (1, 1)
    assert measure(con, "2023-04", "declined_cohort")[0] == 1


def test_a_missing_rms_month_in_the_follow_up_is_x(con):
    # RMS 2023-01 was rejected: the January cohort's follow-up is not all delivered
    assert measure(con, "2023-01", "diverted_cohort") == (None, None, None, None, None)
    assert measure(con, "2023-01", "rearrest_rate_12m") == (None, None, None, None, None)
    assert measure(con, "2023-02", "diverted_cohort")[0] == 0


def test_a_missing_custody_month_in_a_rolling_window_is_x(con):
    # custody 2024-02 rejected: windows 2024-02 .. 2025-01 hold it; 2025-02's does not
    assert measure(con, "2025-01", "acceptance_rate_12m") == (None, None, None, None, None)
    assert measure(con, "2025-01", "offer_rri_12m", "ethnicity_group", "Other") == (None,) * 5
    # 2024-12's 30 offers (15 accepted) and TOO_RECENT's accepted offer of 2024-06
    assert measure(con, "2025-02", "acceptance_rate_12m")[3:] == (16, 31)
    assert measure(con, "2025-01", "completion_rate_12m")[3:] == (0, 0)  # programme: never missing


# --------------------------------------------------------------------------- intervals


def wilson(x, n):
    """Worked by hand from outcomes.md section 4 (in percent)."""
    centre = (x + Z * Z / 2) / (n + Z * Z)
    half = Z * math.sqrt(x * (n - x) / n + Z * Z / 4) / (n + Z * Z)
    return 100 * (centre - half), 100 * (centre + half)


@pytest.mark.parametrize("sex,x,lower,upper", [
    ("F", 0, 0.0, 27.7532),     # 0 of 10
    ("M", 5, 23.6593, 76.3407),  # 5 of 10
    ("X", 10, 72.2468, 100.0),   # 10 of 10
])
def test_wilson_interval_worked_values(con, sex, x, lower, upper):
    value, lo, hi, num, den = measure(con, LAST, "acceptance_rate_12m", "sex", sex)
    assert (num, den) == (x, 10) and value == pytest.approx(10.0 * x)
    assert (lo, hi) == (pytest.approx(lower, abs=1e-4), pytest.approx(upper, abs=1e-4))
    assert (lo, hi) == (pytest.approx(wilson(x, 10)[0], abs=1e-9), pytest.approx(wilson(x, 10)[1], abs=1e-9))
    assert 0.0 <= lo <= hi <= 100.0


def test_relative_rate_index_with_its_log_interval(con):
    # acceptance RRI of Asian: a/n = 10/10, White c/m = 5/10 -> 2.0;
    # se = sqrt(1/10 - 1/10 + 1/5 - 1/10) = sqrt(0.1); bounds 2·exp(∓1.959964·0.316228)
    value, lower, upper, a, n = measure(con, LAST, "acceptance_rri_12m", "ethnicity_group", "Asian")
    assert (a, n) == (10, 10) and value == pytest.approx(2.0)
    assert lower == pytest.approx(1.076109, abs=1e-6) and upper == pytest.approx(3.717094, abs=1e-6)
    # offer RRI of Other: 10/10 against 10/20 -> 2.0
    assert measure(con, LAST, "offer_rri_12m", "ethnicity_group", "Other")[0] == pytest.approx(2.0)
    # offer RRI of Asian: (10/13) / (10/20)
    assert measure(con, LAST, "offer_rri_12m", "ethnicity_group", "Asian")[0] == pytest.approx(20 / 13)


def test_relative_rate_index_zero_group_has_no_value_but_keeps_its_counts(con):
    assert measure(con, LAST, "offer_rri_12m", "ethnicity_group", "Black") == (None, None, None, 0, 10)
    assert measure(con, LAST, "acceptance_rri_12m", "ethnicity_group", "Other") == (None, None, None, 0, 10)
    assert measure(con, LAST, "offer_rri_12m", "ethnicity_group", "Mixed") == (None, None, None, 0, 0)
    categories = [r[0] for r in con.execute(
        "SELECT category FROM marts.outcome_measure_cells WHERE period = ? AND measure = 'offer_rri_12m' "
        "ORDER BY category_order", [LAST]).fetchall()]
    assert categories == ["Asian", "Black", "Mixed", "Other"]  # White is the reference; Not stated out


# --------------------------------------------------------------------------- checks that fail


def test_cohort_cells_check_fails_on_a_planted_fault(built, tmp_path):
    db, results = built
    check = "assert_outcome_cohorts_agree_with_members"
    assert [r["status"] for r in results if r["unique_id"].split(".")[2] == check] == ["pass"]
    planted = tmp_path / "planted" / db.name  # the same file name: dbt's views name its catalog
    planted.parent.mkdir()
    planted.write_bytes(db.read_bytes())
    con = duckdb.connect(str(planted))
    con.execute("UPDATE marts.outcome_measure_cells SET numerator = numerator + 1 "
                "WHERE period = '2023-03' AND measure = 'rearrest_rate_12m' AND breakdown = 'total'")
    con.close()
    env = {**os.environ, "CHECKPOINT_BUILD_DB": str(planted), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(
        [str(DBT), "test", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
         "--select", check, "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode != 0
    run = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    assert [(r["status"], r["failures"]) for r in run] == [("fail", 1)]
