"""Outcomes end to end, through the command line, on a landing folder made independently.

`tests/independent/outcomes_landing.py` writes 31 months of extracts (then a 32nd, a late
RMS month and a corrected custody month) straight from the contracts;
`tests/independent/outcomes_oracle.py` reads outcomes.md on its own. Every cell of
marts.outcome_measures and every row of checkpoint_outcomes_P.csv of both publications
must equal the oracle's.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from tests.cli_process import cli_env, run_cli
from tests.test_end_to_end import warehouse_records
from tests.independent.outcomes_landing import build_outcomes_landing
from tests.independent.outcomes_oracle import expected_outcomes, outcomes_csv_text, published_outcomes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stages(tmp_path_factory):
    root = tmp_path_factory.mktemp("outcomes_e2e")
    landing, home = root / "landing", root / "home"
    out = {"home": home}
    env = cli_env(CHECKPOINT_PSEUDONYM_KEY="outcomes-e2e-key-" + "0" * 48, CHECKPOINT_TODAY="2025-10-15")
    for stage in (1, "repeat", 2):
        expected = build_outcomes_landing(landing, 1 if stage == "repeat" else stage)
        result = run_cli("run", "--landing", str(landing), "--home", str(home), env=env, timeout=1800)
        out[stage] = {
            "expected": expected, "result": result,
            "mart": warehouse_records(home, "SELECT * FROM marts.outcome_measures"),
            "fct": warehouse_records(home, "SELECT * FROM marts.fct_contract_outcomes"),
            "deliveries": warehouse_records(home, "SELECT file_name, status FROM dq.deliveries"),
            "bundle": {p.relative_to(home).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                       for p in sorted((home / "publications").rglob("*")) if p.is_file()},
        }
    return out


def assert_mart_matches(mart: list[dict], cells: dict) -> None:
    actual = {(r["period"], r["measure"], r["breakdown"], r["category"]): r for r in mart}
    assert set(actual) == set(cells)
    for key, cell in cells.items():
        row = actual[key]
        for column, want in (("value", cell.value), ("lower_95", cell.lower), ("upper_95", cell.upper)):
            if want is None:
                assert row[column] is None, (key, column)
            else:
                assert row[column] == pytest.approx(want, rel=1e-12, abs=1e-9), (key, column)
        assert (row["numerator"], row["denominator"]) == (cell.x, cell.n), key


def file_rows(path: Path) -> list[tuple]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [tuple(r) for r in csv.reader(handle)][1:]


@pytest.mark.parametrize("stage", [1, 2])
def test_runs_complete_and_deliveries_take_their_fates(stages, stage):
    s = stages[stage]
    assert s["result"].returncode == (2 if stage == 1 else 0), s["result"].stderr[-3000:]
    fates = {r["file_name"]: r["status"] for r in s["deliveries"]}
    assert fates == {name: f.status for name, f in s["expected"].files.items()}


@pytest.mark.parametrize("stage", [1, 2])
def test_outcome_measures_equal_the_oracle(stages, stage):
    s = stages[stage]
    exp = s["expected"]
    cells = expected_outcomes(exp.loaded, exp.accepted_deliveries(), exp.latest_period)
    assert_mart_matches(s["mart"], cells)


def test_both_outcomes_files_equal_the_oracle_and_the_first_bundle_is_untouched(stages):
    home = stages["home"]
    previous = None
    for stage in (1, 2):
        exp = stages[stage]["expected"]
        period = exp.latest_period
        cells = expected_outcomes(exp.loaded, exp.accepted_deliveries(), period)
        rows = published_outcomes(cells, period, previous)
        bundle = home / "publications" / period
        path = bundle / f"checkpoint_outcomes_{period}.csv"
        assert path.read_text(encoding="utf-8") == outcomes_csv_text(rows)
        manifest = json.loads((bundle / "manifest.json").read_text())
        assert manifest["files"][path.name] == hashlib.sha256(path.read_bytes()).hexdigest()
        previous = rows
    # the late RMS month and the corrected custody month revise stage 1's [x] cells
    assert any(r[8].endswith("[r]") for r in previous)
    first = stages[1]["expected"].latest_period
    assert {k: v for k, v in stages[2]["bundle"].items() if k.startswith(f"publications/{first}/")} == \
           {k: v for k, v in stages[1]["bundle"].items() if k.startswith(f"publications/{first}/")}


def test_a_repeat_run_rewrites_nothing_published(stages):
    repeat = stages["repeat"]
    assert repeat["result"].returncode == 0, repeat["result"].stderr[-3000:]
    assert repeat["bundle"] == stages[1]["bundle"]  # same inputs, same bytes: no new bundle


def test_placed_follow_up_cases_in_fct_contract_outcomes(stages):
    s = stages[2]
    rows = {r["member_key"]: r for r in s["fct"] if r["cohort"] == "diverted"}
    special = s["expected"].special

    def flags(case):
        r = rows[special[case]]
        return r["rearrested_12m"], r["reoffended_12m"], r["days_to_first_later_arrest_12m"]

    assert flags("on_index_date") == (False, False, None)
    assert flags("day_after") == (True, False, 1)
    assert flags("at_12_months")[:2] == (True, False)
    assert flags("from_31st_in") == (True, True, 366)
    assert flags("from_31st_out")[:2] == (True, False)
    assert flags("quarantined_later") == (False, False, None)
