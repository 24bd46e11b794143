"""Small hand-written deliveries for ingest tests, written in the contract's encodings."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.contracts import load_contract
from pipelines.settings import Home

RMS_HEADER = load_contract("rms").tables[0].column_names
CUSTODY_HEADER = load_contract("custody").tables[0].column_names
# Long enough for the key check (at least 32 bytes), and fixed so pseudonyms are reproducible.
TEST_KEY = "ingest-test-key-0123456789abcdef0123"


def rms_row(arrest_id="DUR-A-0000001", version=1, updated="2026-10-03T10:00:00", **overrides) -> dict:
    row = dict(
        arrest_id=arrest_id, record_version=str(version), updated_at=updated, force_code="DUR",
        person_id="P-100", surname="Ní Bhriain", forenames="Siobhán", date_of_birth="1990-05-17",
        sex="F", ethnicity_code="W2", arrest_datetime="2026-10-02T23:15:00", offence_code="092/01",
        drug_class="B", station_code="DUR01", outcome_code="", outcome_date="", record_status="ACTIVE",
        expunged_date="")
    row.update(overrides)
    return row


def custody_row(custody_ref="DUR/C/26/000001", arrest_id="DUR-A-0000001", **overrides) -> dict:
    row = dict(
        custody_ref=custody_ref, arrest_id=arrest_id, custody_suite="Durham Café Suite",
        booked_in="03/10/2026 00:10", released="03/10/2026 09:00", gravity_score="2",
        checkpoint_eligible="Y", ineligible_reason="", checkpoint_offered="Y",
        offer_response="ACCEPTED", custody_disposal="CHECKPOINT")
    row.update(overrides)
    return row


@pytest.fixture
def site(tmp_path, monkeypatch) -> tuple[Path, Home]:
    """A landing folder and a home, named to the pipeline by the environment, alerts off."""
    landing, home = tmp_path / "landing", Home(tmp_path / "home")
    landing.mkdir()
    monkeypatch.setenv("CHECKPOINT_LANDING", str(landing))
    monkeypatch.setenv("CHECKPOINT_HOME", str(home.root))
    monkeypatch.setenv("CHECKPOINT_PSEUDONYM_KEY", TEST_KEY)
    for name in ("CHECKPOINT_SMTP_URL", "CHECKPOINT_ALERT_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    return landing, home


def query(home: Home, sql: str) -> list[tuple]:
    """Rows of a query on the build database, opened read-only."""
    con = duckdb.connect(str(home.build_db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _csv_line(values: list[str]) -> str:
    return ",".join('"' + v.replace('"', '""') + '"' if ("," in v or '"' in v) else v for v in values)


def write_rms(path: Path, rows: list[dict], header: list[str] = RMS_HEADER, raw_lines: list[str] = ()) -> Path:
    lines = [_csv_line(header)] + [_csv_line([r.get(h, "") for h in header]) for r in rows] + list(raw_lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8") + b"\r\n")
    return path


def write_custody(path: Path, rows: list[dict], header: list[str] = CUSTODY_HEADER, raw_lines: list[str] = ()) -> Path:
    lines = [_csv_line(header)] + [_csv_line([r.get(h, "") for h in header]) for r in rows] + list(raw_lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join(lines) + "\n").encode("cp1252"))
    return path
