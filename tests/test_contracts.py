"""The contract files follow their schema: an unknown or misspelt key is an error, not ignored."""

from __future__ import annotations

import pytest
import yaml

from pipelines.contracts import ContractError, SOURCES, all_contracts, read_contract_file
from pipelines.paths import CONTRACTS_DIR


def _write(tmp_path, spec: dict):
    path = tmp_path / "rms.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def _rms() -> dict:
    return yaml.safe_load((CONTRACTS_DIR / "rms.yaml").read_text(encoding="utf-8"))


def test_every_contract_file_follows_the_schema():
    assert [c.source for c in all_contracts()] == list(SOURCES)
    assert {p.stem for p in CONTRACTS_DIR.glob("*.yaml")} == set(SOURCES)


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
