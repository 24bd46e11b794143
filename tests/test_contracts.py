"""The contract files follow their schema: an unknown or misspelt key is an error, not ignored."""

from __future__ import annotations

import pytest
import yaml

from pipelines import dq
from pipelines.contracts import (
    SCREENS_FILE, SOURCES, ContractError, all_contracts, read_contract_file, read_screens_file,
)
from pipelines.ingest.store import raw_columns
from pipelines.paths import CONTRACTS_DIR, DBT_PROJECT_DIR, STAGING_DIR


def _write(tmp_path, spec: dict):
    path = tmp_path / "rms.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def _rms() -> dict:
    return yaml.safe_load((CONTRACTS_DIR / "rms.yaml").read_text(encoding="utf-8"))


def test_every_contract_file_follows_the_schema():
    assert [c.source for c in all_contracts()] == list(SOURCES)
    assert {p.name for p in CONTRACTS_DIR.glob("*.yaml")} == {f"{s}.yaml" for s in SOURCES} | {SCREENS_FILE}


def test_a_misspelt_screen_key_is_an_error(tmp_path):
    spec = yaml.safe_load((CONTRACTS_DIR / SCREENS_FILE).read_text(encoding="utf-8"))
    assert read_screens_file(CONTRACTS_DIR / SCREENS_FILE)  # the real file passes
    name, screen = next((n, s) for n, s in spec["screens"].items() if "pattern" in s)
    screen["patern"] = screen.pop("pattern")
    path = tmp_path / SCREENS_FILE
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    with pytest.raises(ContractError, match=rf"screens.yaml: screen {name}: unknown key\(s\) patern"):
        read_screens_file(path)


def test_a_renamed_column_key_is_an_error(tmp_path):
    spec = _rms()
    column = spec["tables"]["arrests"]["columns"][0]
    column["patern"] = column.pop("pattern")  # a typo that used to switch the rule off silently
    with pytest.raises(ContractError, match=r"rms.yaml: table arrests: column arrest_id: unknown key\(s\) patern"):
        read_contract_file(_write(tmp_path, spec))


@pytest.mark.parametrize("where, rename", [
    ("top", lambda s: s.__setitem__("regex", s.pop("file_regex"))),
    ("table", lambda s: s["tables"]["arrests"].__setitem__("keys", s["tables"]["arrests"].pop("key"))),
    ("rule", lambda s: s["tables"]["arrests"]["rules"][0].__setitem__("expr", s["tables"]["arrests"]["rules"][0].pop("sql"))),
    ("codes", lambda s: s["tables"]["arrests"]["columns"][3]["codes"].__setitem__("col", s["tables"]["arrests"]["columns"][3]["codes"].pop("column"))),
])
def test_renamed_keys_at_every_level_are_errors(tmp_path, where, rename):
    spec = _rms()
    rename(spec)
    with pytest.raises(ContractError, match="unknown key"):
        read_contract_file(_write(tmp_path, spec))


def test_a_bad_value_and_a_missing_key_are_errors(tmp_path):
    spec = _rms()
    spec["tables"]["arrests"]["columns"][0]["type"] = "txt"
    with pytest.raises(ContractError, match="type 'txt' is not one of"):
        read_contract_file(_write(tmp_path, spec))
    spec = _rms()
    del spec["tables"]["arrests"]["key"]
    with pytest.raises(ContractError, match=r"missing key\(s\) key"):
        read_contract_file(_write(tmp_path, spec))


# --- one declaration: dbt's sources and the orphan checks follow the contracts and pipelines/dq.py ---

def _sources(path) -> dict:
    return {s["name"]: {t["name"]: [c["name"] for c in t.get("columns", ())] for t in s["tables"]}
            for s in yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]}


def test_dbt_raw_source_is_what_the_contracts_load():
    expected = {t.raw_table: [name for name, _ in raw_columns(t)] for c in all_contracts() for t in c.tables}
    assert _sources(STAGING_DIR / "__sources.yml") == {"raw": expected}


def test_dbt_dq_source_is_generated_from_the_dq_module():
    assert dq.DBT_SOURCE.read_text(encoding="utf-8") == dq.dbt_source_text(), "run `checkpoint-warehouse expectations`"
    assert _sources(dq.DBT_SOURCE)["dq"] == {t.name: [c for c, _, _ in t.columns] for t in dq.INGEST_TABLES}


def test_orphan_checks_cover_exactly_the_contracts_references():
    raw_of = {t.name: t.raw_table for c in all_contracts() for t in c.tables}
    references = {(f"raw.{t.raw_table}", f"raw.{t.references['table']}") for c in all_contracts()
                  for t in c.tables if t.references}
    assert all(t.references["table"] in raw_of.values() for c in all_contracts() for t in c.tables if t.references)
    model = yaml.safe_load((DBT_PROJECT_DIR / "models/dq/orphan_references.yml").read_text(encoding="utf-8"))
    columns = {c["name"]: c for c in model["models"][0]["columns"]}

    def accepted(column: str) -> set[str]:
        test = next(t for t in columns[column]["data_tests"] if isinstance(t, dict) and "accepted_values" in t)
        return set(test["accepted_values"]["arguments"]["values"])

    assert accepted("source_table") == {s for s, _ in references}
    assert accepted("missing_table") == {m for _, m in references}
    expected_rows = {(r["source_table"], r["missing_table"]) for r in model["unit_tests"][0]["expect"]["rows"]}
    assert expected_rows == references


def test_dbt_accepts_exactly_the_delivery_statuses_of_the_dq_module():
    model = yaml.safe_load((DBT_PROJECT_DIR / "models/staging/stg_dq__deliveries.yml").read_text(encoding="utf-8"))
    status = next(c for c in model["models"][0]["columns"] if c["name"] == "status")
    test = next(t for t in status["data_tests"] if isinstance(t, dict) and "accepted_values" in t)
    assert set(test["accepted_values"]["arguments"]["values"]) == set(dq.DeliveryStatus)
