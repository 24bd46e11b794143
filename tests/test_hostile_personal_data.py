"""Issue 9, item 1: personal data that arrives in the wrong column never reaches the analyst warehouse.

Surnames, forenames, person ids and dates of birth of people in the generated RMS extracts
are planted in every coded and free-text column of every table of a generated landing; the
real pipeline runs through the CLI; then every value of every column of every table of
HOME/warehouse.duckdb is searched for them (equal, or contained in a longer text).
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipelines.contracts import Column, all_contracts, load_contract
from generator import generate_landing
from pipelines.paths import CONTRACTS_DIR, SEEDS_DIR
from pipelines.settings import Home
from tests.cli_process import cli_env, run_cli

pytestmark = pytest.mark.slow
KINDS = ("surname", "forenames", "person_id", "date_of_birth")


def planted_columns(table) -> list[Column]:
    """Coded columns (code list, pattern, flag) and free-text ones (text with no rule), not personal ones."""
    return [c for c in table.columns if not c.pii and (c.codes or c.pattern or c.type in ("text", "flag"))]


@dataclass
class Plant:
    file_name: str
    table: str
    column: str
    kind: str
    value: str


def _read_csv(path: Path, encoding: str) -> tuple[list[list[str]], str]:
    text = path.read_bytes().decode(encoding)
    newline = "\r\n" if "\r\n" in text else "\n"
    return list(csv.reader(io.StringIO(text, newline=""))), newline


def _write_csv(path: Path, rows: list[list[str]], encoding: str, newline: str, bom: bool) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator=newline).writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode(encoding))


def plant_personal_values(landing: Path, seed: int = 9) -> list[Plant]:
    """Put personal values of RMS people into every coded and free-text column; what was planted where."""
    rng = random.Random(seed)
    people, ordinary = [], set()
    for path in sorted((landing / "rms").glob("*.csv")):
        rows, _ = _read_csv(path, "utf-8-sig")
        header = rows[0]
        people += [dict(zip(header, r)) for r in rows[1:] if len(r) == len(header)]
    for contract in all_contracts():
        for table in contract.tables:
            ordinary |= {c.name for c in table.columns if not c.pii}
    # Values the clean landing holds outside personal columns (suite names, codes): planting
    # one of them would prove nothing, so such people are not used.
    # Reference data and the contracts' wording (rule names reach reasons) count as such values too.
    declared = [p.read_text(encoding="utf-8") for p in sorted(SEEDS_DIR.glob("*.csv")) + sorted(CONTRACTS_DIR.glob("*.yaml"))]
    clean_text = "\x1f".join([_non_personal_text(landing), *declared]).casefold()

    def usable(value: str) -> bool:
        try:
            value.encode("cp1252")
        except UnicodeEncodeError:
            return False
        return len(value) >= 4 and value.casefold() not in clean_text

    candidates = {kind: sorted({p[kind] for p in people if usable(p[kind])}) for kind in KINDS}
    for kind in KINDS:
        rng.shuffle(candidates[kind])
    plants: list[Plant] = []

    def plant_in(file_name: str, table, rows: list[list], header: list[str], first: int) -> None:
        data_rows = list(range(first, len(rows)))
        rng.shuffle(data_rows)
        for column in planted_columns(table):
            for kind in KINDS:
                row = data_rows.pop()
                value = candidates[kind].pop()
                rows[row][header.index(column.name)] = value
                plants.append(Plant(file_name, table.name, column.name, kind, value))

    for contract in all_contracts():
        for path in sorted((landing / contract.source).iterdir()):
            file_name = path.relative_to(landing).as_posix()
            if contract.format == "csv":
                encoding = contract.encoding or "utf-8"
                rows, newline = _read_csv(path, "utf-8-sig" if encoding == "utf-8" else encoding)
                plant_in(file_name, contract.tables[0], rows, [h.strip().lower() for h in rows[0]], 1)
                _write_csv(path, rows, encoding, newline, bom=encoding == "utf-8")
                continue
            import openpyxl

            workbook = openpyxl.load_workbook(path)
            for table in contract.tables:
                sheet = workbook[table.sheet]
                rows = [list(r) for r in sheet.iter_rows(values_only=True)]
                header = [str(h).strip().lower() for h in rows[0]]
                before = [list(r) for r in rows]
                plant_in(file_name, table, rows, header, 1)
                for i, (old, new) in enumerate(zip(before, rows)):
                    for j, (a, b) in enumerate(zip(old, new)):
                        if a != b:
                            sheet.cell(row=i + 1, column=j + 1).value = b
            workbook.save(path)
    return plants


def _non_personal_text(landing: Path) -> str:
    """Every value of a non-personal column of the landing's CSV deliveries and workbooks, joined."""
    parts = []
    for contract in all_contracts():
        for path in sorted((landing / contract.source).iterdir()):
            if contract.format == "csv":
                encoding = contract.encoding or "utf-8"
                rows, _ = _read_csv(path, "utf-8-sig" if encoding == "utf-8" else encoding)
                sheets = [(contract.tables[0], rows)]
            else:
                import openpyxl

                workbook = openpyxl.load_workbook(path, read_only=True)
                sheets = [(t, [list(r) for r in workbook[t.sheet].iter_rows(values_only=True)]) for t in contract.tables]
                workbook.close()
            for table, rows in sheets:
                header = [str(h).strip().lower() for h in rows[0]]
                keep = [i for i, h in enumerate(header) if h in table.column_names and not table.column(h).pii]
                parts += [str(r[i]) for r in rows[1:] for i in keep if i < len(r) and r[i] is not None]
    return "\x1f".join(parts)


def find_planted(db: Path, plants: list[Plant]) -> list[tuple[str, str, str, str]]:
    """(schema.table, column, kind, planted file) for every value equal to or containing a planted value."""
    by_text = {p.value.casefold(): p for p in plants}
    con = duckdb.connect(str(db), read_only=True)
    hits = []
    try:
        tables = con.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall()
        for schema, table in tables:
            columns = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
                [schema, table]).fetchall()]
            for column in columns:
                values = con.execute(
                    f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM "{schema}"."{table}" WHERE "{column}" IS NOT NULL'
                ).fetchall()
                for (value,) in values:
                    folded = value.casefold()
                    for text, plant in by_text.items():
                        if text == folded or text in folded:
                            hits.append((f"{schema}.{table}", column, plant.kind, plant.file_name))
    finally:
        con.close()
    return hits


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    landing, home = root / "landing", root / "home"
    generate_landing(landing, start="2026-01", months=2, scale="durham", seed=3, faults=False)
    plants = plant_personal_values(landing)
    result = run_cli("run", "--landing", str(landing), "--home", str(home),
                     env=cli_env(CHECKPOINT_PSEUDONYM_KEY="planted-personal-data-key-0123456789",
                                 CHECKPOINT_TODAY="2026-03-15"))
    return plants, result, home


def test_values_are_planted_in_every_coded_and_free_text_column(planted_run):
    plants, _, _ = planted_run
    planned = {(c.source, t.name, col.name) for c in all_contracts() for t in c.tables for col in planted_columns(t)}
    assert {(p.file_name.split("/")[0], p.table, p.column) for p in plants} == planned
    assert {p.kind for p in plants} == set(KINDS)
    assert "station_code" in {p.column for p in plants} and "custody_suite" in {p.column for p in plants}


def test_the_run_completes_and_quarantines_every_planted_row(planted_run):
    plants, result, home = planted_run
    assert result.returncode == 0, result.stderr[-3000:]
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        rows = {r[0]: r[1:] for r in con.execute(
            "SELECT file_name, status, rows_read, rows_loaded, rows_quarantined, rows_duplicate FROM dq.deliveries"
        ).fetchall()}
    finally:
        con.close()
    for file_name in {p.file_name for p in plants}:
        status, read, loaded, quarantined, duplicate = rows[file_name]
        assert status == "accepted" and read == loaded + quarantined + duplicate
        assert quarantined >= sum(p.file_name == file_name for p in plants), file_name


def test_no_planted_value_reaches_the_analyst_warehouse(planted_run):
    plants, _, home = planted_run
    assert find_planted(home / "warehouse.duckdb", plants) == []


def test_the_search_finds_planted_values_where_they_are_kept(planted_run):
    """The search can fail: the restricted store keeps the raw text of every quarantined row."""
    plants, _, home = planted_run
    found = {(h[2], h[3]) for h in find_planted(Home(home).restricted_db, plants)}
    assert {(p.kind, p.file_name) for p in plants} <= found


def test_a_person_id_in_station_code_is_quarantined_with_a_reason_that_names_no_value(tmp_path):
    from pipelines.ingest.load import ingest_landing
    from tests.ingest_files import rms_row, write_rms

    landing, home = tmp_path / "landing", Home(tmp_path / "home")
    write_rms(landing / "rms" / "arrests_202610.csv", [
        rms_row(), rms_row(arrest_id="DUR-A-0000002", station_code="DUR-P-0012345"),
        rms_row(arrest_id="DUR-A-0000003", station_code="17/05/1990"),
        rms_row(arrest_id="DUR-A-0000004", station_code="Ní Bhriain"),
        rms_row(arrest_id="DUR-A-0000005", station_code="HQ 7")])
    ingest_landing(landing, home.build_db, home.restricted_db, b"k" * 32)
    con = duckdb.connect(str(home.build_db), read_only=True)
    try:
        reasons = dict(con.execute("SELECT row_number, reason FROM dq.quarantined_rows").fetchall())
        loaded = [r for (r,) in con.execute("SELECT station_code FROM raw.rms_arrests ORDER BY 1").fetchall()]
    finally:
        con.close()
    assert reasons == {
        3: "station_code: value looks like a person identifier (screen person_id); withheld",
        4: "station_code: value looks like a date (screen date); withheld",
        # every row of this delivery has this surname: it is a personal value of the delivery itself
        5: "station_code: value looks like a name where a code is expected (screen name); withheld; "
           "station_code: value looks like a personal value already seen in an RMS delivery "
           "(screen personal_value); withheld",
    }
    assert loaded == ["DUR01", "HQ 7"]


def test_a_surname_in_free_text_is_caught_only_once_it_is_a_known_personal_value(tmp_path):
    from pipelines.ingest.load import ingest_landing
    from tests.ingest_files import custody_row, rms_row, write_custody, write_rms

    landing, home = tmp_path / "landing", Home(tmp_path / "home")
    write_custody(landing / "custody" / "custody_202610.csv", [custody_row(custody_suite="Gallagher")])
    ingest_landing(landing, home.build_db, home.restricted_db, b"k" * 32)  # no RMS yet: a suite name
    write_rms(landing / "rms" / "arrests_202611.csv", [rms_row(updated="2026-11-03T10:00:00", surname="Gallagher")])
    write_custody(landing / "custody" / "custody_202611.csv", [
        custody_row(custody_ref="DUR/C/26/000002", booked_in="03/11/2026 00:10", released="03/11/2026 09:00",
                    custody_suite="  gallagher ")])
    ingest_landing(landing, home.build_db, home.restricted_db, b"k" * 32)
    con = duckdb.connect(str(home.build_db), read_only=True)
    try:
        suites = con.execute("SELECT source_month, custody_suite FROM raw.custody_records").fetchall()
        reasons = con.execute("SELECT file_name, reason FROM dq.quarantined_rows").fetchall()
    finally:
        con.close()
    assert suites == [("2026-10", "Gallagher")]
    assert reasons == [("custody/custody_202611.csv", "custody_suite: value looks like a personal value already "
                        "seen in an RMS delivery (screen personal_value); withheld")]
    assert load_contract("custody").table("custody").column("custody_suite").screens == (
        "person_id", "date", "personal_value")
