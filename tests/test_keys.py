"""The pseudonym key: weak, exposed or badly encoded keys are refused in one line; a home
refuses a key other than its own; `rekey` changes the key of every pseudonym at once.

The pipeline runs are the real CLI in a subprocess; a pseudonym is checked against its
definition (HMAC-SHA256 of ``person:<person_id>``, 32 hex characters) computed here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
import subprocess
from pathlib import Path

import duckdb
import pytest

from pipelines.keys import KeyRecord, check_key, fingerprint, fingerprint_path, home_key, write_record
from pipelines.settings import ConfigurationError, Home, pseudonym_key
from tests.cli_process import cli_env, one_line, run_cli
from tests.ingest_files import rms_row, write_rms


def key_file(folder: Path, name: str = "key", text: str | None = None, mode: int = 0o600) -> Path:
    """A key file made as the refusal message says: created owner-only."""
    path = folder / name
    text = secrets.token_hex(32) if text is None else text
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "w") as handle:
        handle.write(text + "\n")
    os.chmod(path, mode)  # whatever the umask: the mode is the test's subject
    return path


def cli(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    """The CLI started with umask 022: what it writes must be owner-only all the same."""
    return run_cli(*args, env=cli_env(**(env_extra or {})), timeout=600, preexec_fn=lambda: os.umask(0o022))


# --- the key itself ------------------------------------------------------------------------

def test_a_short_key_is_refused_with_how_to_make_one():
    for short in ("Q", "Zq7" * 10):
        with pytest.raises(ConfigurationError, match=r"at least 32 .*token_hex\(32\)") as refused:
            pseudonym_key({"CHECKPOINT_PSEUDONYM_KEY": short})
        assert "\n" not in str(refused.value) and short not in str(refused.value)
    assert pseudonym_key({"CHECKPOINT_PSEUDONYM_KEY": "x" * 32}) == b"x" * 32


def test_a_key_file_others_can_read_is_refused(tmp_path):
    for mode in (0o644, 0o640, 0o604, 0o620):
        path = key_file(tmp_path, f"key-{mode:o}", mode=mode)
        with pytest.raises(ConfigurationError, match=f"mode {mode:o}.*chmod 600"):
            pseudonym_key({"CHECKPOINT_PSEUDONYM_KEY_FILE": str(path)})
    good = key_file(tmp_path)
    assert pseudonym_key({"CHECKPOINT_PSEUDONYM_KEY_FILE": str(good)}) == good.read_text().strip().encode()


def test_a_key_that_is_not_utf8_is_refused_in_one_line(tmp_path):
    path = tmp_path / "key"
    path.write_bytes(b"\xff\xfe" + secrets.token_bytes(40))
    path.chmod(0o600)
    with pytest.raises(ConfigurationError, match="is not valid UTF-8"):
        pseudonym_key({"CHECKPOINT_PSEUDONYM_KEY_FILE": str(path)})
    # os.environ keeps bytes that are not UTF-8 as surrogates
    with pytest.raises(ConfigurationError, match="CHECKPOINT_PSEUDONYM_KEY is not valid UTF-8"):
        pseudonym_key({"CHECKPOINT_PSEUDONYM_KEY": "k\udcff" * 20})


def test_the_cli_refuses_a_weak_an_exposed_and_a_badly_encoded_key(tmp_path):
    landing, home = tmp_path / "landing", tmp_path / "home"
    landing.mkdir()
    run = ("run", "--landing", str(landing), "--home", str(home))
    short = cli(*run, env_extra={"CHECKPOINT_PSEUDONYM_KEY": "a"})
    assert short.returncode == 1 and "at least 32" in one_line(short)
    exposed = cli(*run, env_extra={"CHECKPOINT_PSEUDONYM_KEY_FILE": str(key_file(tmp_path, mode=0o644))})
    assert exposed.returncode == 1 and "chmod 600" in one_line(exposed)
    bad = tmp_path / "bad-key"
    bad.write_bytes(b"\xc3\x28" * 20)
    bad.chmod(0o600)
    encoded = cli(*run, env_extra={"CHECKPOINT_PSEUDONYM_KEY_FILE": str(bad)})
    assert encoded.returncode == 1 and "not valid UTF-8" in one_line(encoded)
    assert not home.exists()


# --- one key per home ------------------------------------------------------------------------

def test_a_home_records_its_key_fingerprint_and_refuses_another_key(tmp_path):
    home = Home(tmp_path / "home")
    first, other = secrets.token_hex(32), secrets.token_hex(32)
    assert check_key(home.root, {"CHECKPOINT_PSEUDONYM_KEY": other}) == other.encode()  # no record yet
    assert home_key(home, {"CHECKPOINT_PSEUDONYM_KEY": first}) == first.encode()

    record = fingerprint_path(home.root)
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert json.loads(record.read_text())["fingerprint"] == fingerprint(first.encode())
    assert first not in record.read_text()
    assert home_key(home, {"CHECKPOINT_PSEUDONYM_KEY": first}) == first.encode()
    with pytest.raises(ConfigurationError, match="not the one .* was built with.*checkpoint-warehouse rekey"):
        home_key(home, {"CHECKPOINT_PSEUDONYM_KEY": other})
    with pytest.raises(ConfigurationError, match="not the one"):
        check_key(home.root, {"CHECKPOINT_PSEUDONYM_KEY": other})

    write_record(home.root, KeyRecord(fingerprint(first.encode()), rekeying_to=fingerprint(other.encode())))
    for key in (first, other):
        with pytest.raises(ConfigurationError, match="did not finish"):
            check_key(home.root, {"CHECKPOINT_PSEUDONYM_KEY": key})


# --- the pipeline with a key, another key, and a rekey ----------------------------------------

def pseudonym(key: str, person_id: str) -> str:
    return hmac.new(key.encode(), f"person:{person_id}".encode(), hashlib.sha256).hexdigest()[:32]


def rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def people(db: Path) -> set[str]:
    return {r[0] for r in rows(db, "SELECT person_pseudonym FROM marts.dim_person")}


@pytest.mark.slow
def test_a_changed_key_is_refused_and_rekey_keeps_every_person_one_person(tmp_path):
    landing, home, keys = tmp_path / "landing", Home(tmp_path / "home"), tmp_path / "keys"
    keys.mkdir()
    old_file, new_file = key_file(keys, "old"), key_file(keys, "new")
    old, new = old_file.read_text().strip(), new_file.read_text().strip()
    write_rms(landing / "rms/arrests_202610.csv", [
        rms_row("DUR-A-0000001", person_id="P-100"),
        rms_row("DUR-A-0000002", person_id="P-100", arrest_datetime="2026-10-05T10:00:00"),
        rms_row("DUR-A-0000003", person_id="P-200"),
    ])
    run = ("run", "--landing", str(landing), "--home", str(home.root))
    with_old = {"CHECKPOINT_PSEUDONYM_KEY_FILE": str(old_file), "CHECKPOINT_TODAY": "2026-11-02"}
    with_new = {**with_old, "CHECKPOINT_PSEUDONYM_KEY_FILE": str(new_file)}

    first = cli(*run, env_extra=with_old)
    assert first.returncode in (0, 2), first.stderr
    assert people(home.build_db) == {pseudonym(old, "P-100"), pseudonym(old, "P-200")}

    # Everything the pipeline wrote is owner-only, though the CLI was started with umask 022.
    for path in [home.root, *home.root.rglob("*")]:
        if path != home.warehouse_db:  # the analysts' copy: shared on purpose (behind the home's 0700)
            assert stat.S_IMODE(path.lstat().st_mode) & 0o077 == 0, path

    refused = cli(*run, env_extra=with_new)
    assert refused.returncode == 1 and "checkpoint-warehouse rekey" in one_line(refused)

    rekeyed = cli("rekey", "--landing", str(landing), "--home", str(home.root), "--new-key-file", str(new_file),
                  env_extra=with_old)
    assert rekeyed.returncode == 0, rekeyed.stderr
    assert "3 row(s)" in rekeyed.stdout and "2 person pseudonym(s)" in rekeyed.stdout
    expected = {pseudonym(new, "P-100"), pseudonym(new, "P-200")}
    for db in (home.build_db, home.warehouse_db):
        assert people(db) == expected
        assert {r[0] for r in rows(db, "SELECT person_pseudonym FROM raw.rms_arrests")} == expected
        assert {r[0] for r in rows(db, "SELECT person_pseudonym FROM marts.fct_arrests")} == expected
    assert json.loads(fingerprint_path(home.root).read_text())["fingerprint"] == fingerprint(new.encode())
    assert cli(*run, env_extra=with_old).returncode == 1

    # A later delivery, ingested with the new key, meets the same people: nobody is split in two.
    write_rms(landing / "rms/arrests_202611.csv", [
        rms_row("DUR-A-0000004", person_id="P-100", updated="2026-11-03T10:00:00",
                arrest_datetime="2026-11-02T10:00:00"),
        rms_row("DUR-A-0000005", person_id="P-300", updated="2026-11-03T10:00:00",
                arrest_datetime="2026-11-02T11:00:00"),
    ])
    later = cli(*run, env_extra={**with_new, "CHECKPOINT_TODAY": "2026-12-02"})
    assert later.returncode in (0, 2), later.stderr
    assert people(home.warehouse_db) == expected | {pseudonym(new, "P-300")}
    assert rows(home.warehouse_db, "SELECT count(*) FROM dq.deliveries WHERE status = 'accepted'") == [(2,)]


def test_rekey_refuses_a_landing_folder_without_the_loaded_files_and_changes_nothing(tmp_path):
    from pipelines.ingest.load import ingest_landing
    from pipelines.keys import rekey

    landing, home, keys = tmp_path / "landing", Home(tmp_path / "home"), tmp_path / "keys"
    keys.mkdir()
    old_file, new_file = key_file(keys, "old"), key_file(keys, "new")
    env = {"CHECKPOINT_PSEUDONYM_KEY_FILE": str(old_file)}
    delivery = write_rms(landing / "rms/arrests_202610.csv", [rms_row("DUR-A-0000001", person_id="P-100")])
    ingest_landing(landing, home.build_db, home.restricted_db, home_key(home, env))
    before = rows(home.build_db, "SELECT person_pseudonym, row_digest FROM raw.rms_arrests")

    delivery.write_bytes(delivery.read_bytes() + b"\n")
    with pytest.raises(ConfigurationError, match="rms/arrests_202610.csv .*sha256 differs"):
        rekey(home, landing, new_file, env)
    delivery.unlink()
    with pytest.raises(ConfigurationError, match="rms/arrests_202610.csv cannot be read"):
        rekey(home, landing, new_file, env)
    assert rows(home.build_db, "SELECT person_pseudonym, row_digest FROM raw.rms_arrests") == before
    assert check_key(home.root, env)  # the old key still stands
    with pytest.raises(ConfigurationError, match="the new key is the key already in use"):
        rekey(home, landing, old_file, env)


def test_an_interrupted_rekey_is_finished_by_running_it_again(tmp_path):
    from pipelines.ingest.load import ingest_landing
    from pipelines.keys import rekey

    landing, home, keys = tmp_path / "landing", Home(tmp_path / "home"), tmp_path / "keys"
    keys.mkdir()
    old_file, new_file = key_file(keys, "old"), key_file(keys, "new")
    old, new = old_file.read_text().strip(), new_file.read_text().strip()
    write_rms(landing / "rms/arrests_202610.csv", [rms_row("DUR-A-0000001", person_id="P-100"),
                                                   rms_row("DUR-A-0000002", person_id="P-200")])
    ingest_landing(landing, home.build_db, home.restricted_db,
                   home_key(home, {"CHECKPOINT_PSEUDONYM_KEY_FILE": str(old_file)}))
    rekey(home, landing, new_file, {"CHECKPOINT_PSEUDONYM_KEY_FILE": str(old_file)})
    # As if killed after the commit, before the record was brought up to date:
    write_record(home.root, KeyRecord(fingerprint(old.encode()), rekeying_to=fingerprint(new.encode())))
    with pytest.raises(ConfigurationError, match="did not finish"):
        check_key(home.root, {"CHECKPOINT_PSEUDONYM_KEY_FILE": str(new_file)})

    report = rekey(home, landing, new_file, {"CHECKPOINT_PSEUDONYM_KEY_FILE": str(old_file)})

    assert report.rows == 2 and report.people == 2
    assert {r[0] for r in rows(home.build_db, "SELECT person_pseudonym FROM raw.rms_arrests")} == \
        {pseudonym(new, "P-100"), pseudonym(new, "P-200")}
    assert check_key(home.root, {"CHECKPOINT_PSEUDONYM_KEY_FILE": str(new_file)}) == new.encode()
