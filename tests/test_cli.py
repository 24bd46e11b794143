"""The command line's refusals and exit statuses, and the expectation suites' provenance."""

from __future__ import annotations

import json

from pipelines.ingest.expectations import all_suite_definitions
from pipelines.paths import EXPECTATIONS_DIR
from tests.cli_process import cli_env, run_cli


def test_run_refuses_to_start_without_a_pseudonym_key(tmp_path):
    (tmp_path / "landing").mkdir()
    result = run_cli("run", "--landing", str(tmp_path / "landing"), "--home", str(tmp_path / "home"))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "CHECKPOINT_PSEUDONYM_KEY" in result.stderr
    assert not (tmp_path / "home").exists()


def test_run_rejects_an_empty_key_file_and_a_missing_landing_folder(tmp_path):
    key = tmp_path / "key"
    key.write_text("")
    result = run_cli("run", "--landing", str(tmp_path), "--home", str(tmp_path / "h"),
                     env=cli_env(CHECKPOINT_PSEUDONYM_KEY_FILE=str(key)))
    assert result.returncode == 1 and "is empty" in result.stderr
    result = run_cli("run", "--landing", str(tmp_path / "nowhere"), "--home", str(tmp_path / "h"),
                     env=cli_env(CHECKPOINT_PSEUDONYM_KEY="0123456789abcdef" * 4))
    assert result.returncode == 1
    assert result.stderr.strip() == (f"checkpoint-warehouse: landing folder {tmp_path / 'nowhere'} is missing or "
                                     "unreadable: give --landing the folder the deliveries arrive in")


def test_committed_expectation_suites_are_the_ones_the_contracts_imply():
    committed = {p.stem: json.loads(p.read_text()) for p in EXPECTATIONS_DIR.glob("*.json")}
    assert committed == all_suite_definitions(), "run `checkpoint-warehouse expectations` and commit"
