"""Tests of the synthetic landing generator (generator).

Why these: the generator is the warehouse's test oracle. If it is not deterministic, not in
the spec's byte formats, not valid when clean, or silently missing a fault kind, every
downstream test proves less than it claims. Runs are small (durham scale, a few months) so
the file stays well under a minute.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from pipelines.contracts import load_contract, seed_values
from generator import FAULT_HANDLING, generate_landing, main_generate

FAULTY = dict(start="2025-01", months=3, scale="durham", seed=7)
CLEAN = dict(start="2025-01", months=6, scale="durham", seed=11, faults=False)


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    out = tmp_path_factory.mktemp("faulty")
    return out, generate_landing(out, **FAULTY)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    out = tmp_path_factory.mktemp("clean")
    return out, generate_landing(out, **CLEAN)


# ------------------------------------------------------------------------------------------
# reading helpers (independent of the generator's own code)
# ------------------------------------------------------------------------------------------
def read_csv(path: Path, encoding: str) -> tuple[list[str], list[list[str]]]:
    text = path.read_bytes().decode(encoding)
    rows = [r for r in csv.reader(io.StringIO(text, newline="")) if r]  # blank lines are not rows
    return rows[0], rows[1:]


def read_sheet(path: Path, name: str) -> tuple[list[str], list[tuple]]:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = [r for r in wb[name].iter_rows(values_only=True)]
    finally:
        wb.close()
    header = [h for h in rows[0] if h is not None]
    width = len(header)
    # read-only rows stop at their last non-empty cell: pad them to the header's width
    data = [tuple(r[:width]) + (None,) * (width - len(r)) for r in rows[1:] if any(v is not None for v in r)]
    return header, data


def deliveries(summary: dict, source: str, fate: str = "accepted") -> list[dict]:
    return [f for f in summary["files"] if f["source"] == source and f["expected_fate"] == fate]


def as_dicts(header, rows):
    return [dict(zip(header, r)) for r in rows]


def parse_date(value, formats) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    for f in formats:
        try:
            return dt.datetime.strptime(str(value), f).date()
        except ValueError:
            pass
    raise ValueError(f"unparseable date {value!r}")


def plus_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    y, m = d.year + y, m + 1
    nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
    return dt.date(y, m, min(d.day, (nxt - dt.timedelta(days=1)).day))


def check_row(table, row: dict, where: str) -> None:
    """Every column rule of the contract, for one clean row (values already in canonical form)."""
    for col in table.columns:
        v = row[col.name]
        empty = v is None or v == ""
        if empty:
            assert col.nullable, f"{where}: {col.name} empty"
            continue
        if col.pattern:
            assert re.fullmatch(col.pattern, str(v)), f"{where}: {col.name}={v!r} pattern"
        if col.codes:
            assert str(v) in col.codes, f"{where}: {col.name}={v!r} not in code list"
        if col.type == "flag":
            assert v in ("Y", "N"), f"{where}: {col.name}={v!r}"
        if col.type in ("integer", "decimal"):
            num = float(v)
            if col.type == "integer":
                assert str(v).isdigit(), f"{where}: {col.name}={v!r}"
            if col.minimum is not None:
                assert num >= col.minimum, f"{where}: {col.name}={v!r} below minimum"
            if col.maximum is not None:
                assert num <= col.maximum, f"{where}: {col.name}={v!r} above maximum"
        if col.type == "datetime":
            assert any(_parses(v, f) for f in col.formats), f"{where}: {col.name}={v!r}"
        if col.type == "date" and not isinstance(v, dt.date):
            parse_date(v, col.formats)


def _parses(value, fmt) -> bool:
    try:
        dt.datetime.strptime(str(value), fmt)
        return True
    except ValueError:
        return False


# ------------------------------------------------------------------------------------------
# determinism
# ------------------------------------------------------------------------------------------
def test_same_seed_same_bytes_for_every_file(faulty, tmp_path):
    out, summary = faulty
    again = generate_landing(tmp_path / "again", **FAULTY)
    first, second = _tree(out), _tree(tmp_path / "again")
    assert first == second  # every file, xlsx included
    assert {f["path"]: f["sha256"] for f in summary["files"]} == first
    assert again["faults"] == summary["faults"]


def test_other_seed_other_bytes(faulty, tmp_path):
    out, summary = faulty
    other = generate_landing(tmp_path / "other", **{**FAULTY, "seed": 8})
    a, b = _tree(out), _tree(tmp_path / "other")
    for f in summary["files"]:
        if f["source"] in ("rms", "custody", "programme") and f["path"] in b:
            assert a[f["path"]] != b[f["path"]], f["path"]
    assert other["world"] != summary["world"]


def test_xlsx_metadata_is_fixed(faulty):
    out, summary = faulty
    for f in deliveries(summary, "programme"):
        wb = openpyxl.load_workbook(out / f["path"], read_only=True)
        try:
            month = dt.date.fromisoformat(f["month"] + "-01")
            assert wb.properties.created == wb.properties.modified
            assert wb.properties.created.date() > month  # exported after the month, not "now"
            assert wb.properties.created.year < 2030
        finally:
            wb.close()


# ------------------------------------------------------------------------------------------
# layout, encodings, headers
# ------------------------------------------------------------------------------------------
def test_layout_and_file_names(faulty):
    out, summary = faulty
    regex = {s: re.compile(load_contract(s).file_regex) for s in ("rms", "custody", "programme")}
    for f in summary["files"]:
        matched = [s for s, r in regex.items() if r.match(f["path"])]
        if f["expected_fate"] == "ignored":
            assert not matched, f"{f['path']} is a stray but looks like a delivery"
        else:
            assert matched == [f["source"]], f["path"]
    for s in ("rms", "custody", "programme"):
        months = {f["month"] for f in deliveries(summary, s)}
        assert months == {"2025-01", "2025-02", "2025-03"}, s
    strays = {f["path"] for f in summary["files"] if f["expected_fate"] == "ignored"}
    assert "rms/~$arrests_202501.csv" in strays and "notes.txt" in strays
    assert any(p.endswith(".tmp") for p in strays)


def test_rms_is_utf8_with_bom_and_crlf(faulty):
    out, summary = faulty
    names = Counter()
    for f in deliveries(summary, "rms") + deliveries(summary, "rms", "duplicate"):
        data = (out / f["path"]).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf"), f["path"]
        assert b"\n" not in data.replace(b"\r\n", b""), f"{f['path']}: bare LF"
        text = data.decode("utf-8-sig")
        names.update(ch for ch in text if ord(ch) > 127)
    assert len(names) > 5  # names from many origins, with accents and other scripts' letters


def test_custody_is_cp1252_with_lf(faulty):
    out, summary = faulty
    accented = False
    for f in deliveries(summary, "custody") + deliveries(summary, "custody", "accepted (replaces v1)"):
        data = (out / f["path"]).read_bytes()
        assert b"\r" not in data, f["path"]
        text = data.decode("cp1252")  # strict
        accented |= any(ord(ch) > 127 for ch in text)
    assert accented  # suite names such as 'Renée' exercise the encoding


def test_every_delivery_has_the_contract_header(faulty):
    out, summary = faulty
    drift = {p for p, kinds in summary["faults_by_file"].items() if "schema_drift" in kinds}
    for source, encoding in (("rms", "utf-8-sig"), ("custody", "cp1252")):
        want = set(load_contract(source).tables[0].column_names)
        for f in deliveries(summary, source) + deliveries(summary, source, "accepted (replaces v1)"):
            header, rows = read_csv(out / f["path"], encoding)
            assert want <= set(header), f["path"]
            assert len(set(header) - want) == (1 if f["path"] in drift else 0), f["path"]
            assert len(rows) == f["rows"], f["path"]
    contract = load_contract("programme")
    for f in deliveries(summary, "programme"):
        total = 0
        for table in contract.tables:
            header, rows = read_sheet(out / f["path"], table.sheet)
            want = set(table.column_names)
            assert want <= set(header), (f["path"], table.sheet)
            extra = set(header) - want
            assert not extra or f["path"] in drift, (f["path"], extra)
            total += len(rows)
        assert total == f["rows"], f["path"]


def test_rejected_files_are_really_bad(faulty):
    out, summary = faulty
    rejected = [f for f in summary["files"] if f["expected_fate"] == "rejected"]
    kinds = {k for f in rejected for k in summary["faults_by_file"][f["path"]]}
    assert kinds == {"wrong_encoding", "missing_header_column"}
    for f in rejected:
        data = (out / f["path"]).read_bytes()
        if f["source"] == "rms":
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
            assert (out / f"rms/arrests_{f['month'].replace('-', '')}.csv").exists()  # good v1 kept
        else:
            header, _ = read_csv(out / f["path"], "cp1252")
            assert "gravity_score" not in header
    dup = deliveries(summary, "rms", "duplicate")
    assert len(dup) == 1
    v1 = dup[0]["path"].replace("_v2", "")
    assert (out / v1).read_bytes() == (out / dup[0]["path"]).read_bytes()


# ------------------------------------------------------------------------------------------
# faults
# ------------------------------------------------------------------------------------------
def test_every_fault_kind_is_injected(faulty):
    _, summary = faulty
    missing = set(FAULT_HANDLING) - set(summary["faults"])
    assert not missing, f"fault kinds never injected: {sorted(missing)}"
    assert summary["natural"]["sessions_recorded_late"] > 0
    assert summary["natural"]["custody_before_arrest_record"] > 0  # custody names an arrest RMS sends later


def test_faults_are_visible_in_the_files(faulty):
    out, summary = faulty
    by_file = summary["faults_by_file"]
    wrong_width = 0
    lower_codes = 0
    for f in deliveries(summary, "rms"):
        data = (out / f["path"]).read_bytes()
        kinds = by_file.get(f["path"], {})
        if "trailing_blank_lines" in kinds:
            assert data.endswith(b"\r\n\r\n\r\n")
        if "no_final_line_end" in kinds:
            assert not data.endswith(b"\n")
        header, rows = read_csv(out / f["path"], "utf-8-sig")
        wrong_width += sum(len(r) != len(header) for r in rows)
        keys = Counter((r[header.index("arrest_id")].strip().upper(), r[header.index("record_version")]) for r in rows)
        assert max(keys.values()) >= 2  # duplicates and key conflicts
        lower_codes += sum(r[header.index("record_status")] in ("active", " ACTIVE", "ACTIVE ", "expunged") for r in rows if len(r) == len(header))
    assert wrong_width >= 3
    flags = Counter()
    for f in deliveries(summary, "custody"):
        header, rows = read_csv(out / f["path"], "cp1252")
        i = header.index("checkpoint_eligible")
        flags.update(r[i] for r in rows if len(r) == len(header))
    assert {"y", "yes", "n", "no"} & set(flags)
    text_dates = real_dates = 0
    for f in deliveries(summary, "programme"):
        _, rows = read_sheet(out / f["path"], "Sessions")
        header, _ = read_sheet(out / f["path"], "Sessions")
        j = header.index("session_date")
        text_dates += sum(isinstance(r[j], str) and bool(re.fullmatch(r"\d\d/\d\d/\d{4}", r[j])) for r in rows)
        real_dates += sum(isinstance(r[j], dt.datetime) for r in rows)
    assert text_dates > 0 and real_dates > 10 * text_dates


def _normalise(table, header, row) -> tuple:
    """The spec's normalisation: trim; upper-case code/pattern/key columns; Y/YES/N/NO -> Y/N."""
    out = []
    for name, value in zip(header, row):
        if name not in table.column_names:
            continue
        col = table.column(name)
        v = value.strip()
        if col.upper:
            v = v.upper()
        if col.type == "flag":
            v = {"YES": "Y", "NO": "N"}.get(v, v)
        out.append((name, v))
    return tuple(sorted(out))


def test_logged_duplicates_and_key_conflicts_match_the_rows(faulty):
    """Within each CSV delivery, what the spec would call duplicates / key conflicts is what was logged."""
    out, summary = faulty
    for source, encoding in (("rms", "utf-8-sig"), ("custody", "cp1252")):
        table = load_contract(source).tables[0]
        for f in deliveries(summary, source):
            header, rows = read_csv(out / f["path"], encoding)
            seen, dups, by_key = set(), 0, {}
            for r in rows:
                if len(r) != len(header):
                    continue  # quarantined with its raw text
                norm = _normalise(table, header, r)
                if norm in seen:
                    dups += 1
                    continue
                seen.add(norm)
                key = tuple(v for n, v in norm if n in table.key)
                by_key.setdefault(key, set()).add(norm)
            conflicts = sum(len(v) - 1 for v in by_key.values() if len(v) > 1)
            logged = summary["faults_by_file"].get(f["path"], {})
            assert dups == logged.get("duplicate_row", 0), f["path"]
            assert conflicts == logged.get("key_conflict", 0), f["path"]


def test_expected_counts_add_up(faulty):
    _, summary = faulty
    for f in summary["files"]:
        if f["expected_fate"].startswith("accepted"):
            c = f["expected_counts"]
            assert c["rows_read"] == c["rows_loaded"] + c["rows_quarantined"] + c["rows_duplicate"]
            assert c["rows_quarantined"] > 0 and c["rows_duplicate"] > 0 or "_v2" in f["path"], f["path"]
            assert 0.9 < c["rows_loaded"] / c["rows_read"] <= 1.0, f["path"]


def test_late_redelivery_brings_the_missing_custody_rows(faulty):
    out, summary = faulty
    v1 = out / "custody/custody_202502.csv"
    v2 = out / "custody/custody_202502_v2.csv"
    h1, r1 = read_csv(v1, "cp1252")
    h2, r2 = read_csv(v2, "cp1252")
    in_v1 = {r[h1.index("custody_ref")].strip().upper() for r in r1 if len(r) == len(h1)}
    in_v2 = {r[h2.index("custody_ref")] for r in r2}
    late = set(summary["late_custody_refs"])
    assert late and late <= in_v2 and not (late & in_v1)
    header, rows = read_sheet(out / "programme/checkpoint_programme_202502.xlsx", "Contracts")
    refs = {str(r[header.index("custody_ref")]).strip().upper() for r in rows}
    assert refs & late  # a contract waits for a custody record that only the _v2 brings


# ------------------------------------------------------------------------------------------
# the clean world
# ------------------------------------------------------------------------------------------
def test_clean_landing_has_no_faults_and_only_deliveries(clean):
    out, summary = clean
    assert summary["faults"] == {}
    assert all(f["expected_fate"] == "accepted" and f["version"] == 1 for f in summary["files"])
    assert len(summary["files"]) == 3 * CLEAN["months"]


def _load_clean(out: Path, summary: dict):
    rms = []
    for f in deliveries(summary, "rms"):
        header, rows = read_csv(out / f["path"], "utf-8-sig")
        rms += [dict(d, _file_month=f["month"]) for d in as_dicts(header, rows)]
    custody = []
    for f in deliveries(summary, "custody"):
        header, rows = read_csv(out / f["path"], "cp1252")
        custody += [dict(d, _file_month=f["month"]) for d in as_dicts(header, rows)]
    workbooks = {}
    for f in deliveries(summary, "programme"):
        workbooks[f["month"]] = {t.name: as_dicts(*read_sheet(out / f["path"], t.sheet))
                                 for t in load_contract("programme").tables}
    return rms, custody, workbooks


def test_clean_rows_pass_every_contract_rule(clean):
    out, summary = clean
    rms, custody, workbooks = _load_clean(out, summary)
    t_rms = load_contract("rms").tables[0]
    drug = dict(zip(seed_values("ref_offence_codes", "offence_code"),
                    (v == "true" for v in seed_values("ref_offence_codes", "is_drug_offence"))))
    for r in rms:
        check_row(t_rms, r, "rms")
        assert r["updated_at"][:7] == r["_file_month"]
        if r["offence_code"] in drug:
            assert (r["drug_class"] != "") == drug[r["offence_code"]]
        assert (r["outcome_code"] == "") == (r["outcome_date"] == "")
        assert (r["record_status"] == "EXPUNGED") == (r["expunged_date"] != "")
    keys = Counter((r["arrest_id"], int(r["record_version"])) for r in rms)
    assert max(keys.values()) == 1
    versions: dict = {}
    for r in sorted(rms, key=lambda r: (r["arrest_id"], int(r["record_version"]))):
        versions.setdefault(r["arrest_id"], []).append(r)
    for arrest, vs in versions.items():
        assert [int(v["record_version"]) for v in vs] == list(range(1, len(vs) + 1)), arrest
        assert [v["updated_at"] for v in vs] == sorted(v["updated_at"] for v in vs), arrest

    t_cus = load_contract("custody").tables[0]
    fmt = "%d/%m/%Y %H:%M"
    for r in custody:
        check_row(t_cus, r, "custody")
        booked = dt.datetime.strptime(r["booked_in"], fmt)
        assert booked.strftime("%Y-%m") == r["_file_month"]
        assert not r["released"] or dt.datetime.strptime(r["released"], fmt) >= booked
        assert (r["checkpoint_eligible"] == "N") == (r["ineligible_reason"] != "")
        assert r["checkpoint_offered"] == "N" or r["checkpoint_eligible"] == "Y"
        assert (r["checkpoint_offered"] == "Y") == (r["offer_response"] != "")
        assert (r["custody_disposal"] == "CHECKPOINT") == (r["offer_response"] == "ACCEPTED")
    assert len({r["custody_ref"] for r in custody}) == len(custody)

    contract = load_contract("programme")
    t_con, t_ses = contract.table("contracts"), contract.table("sessions")
    custody_refs = {r["custody_ref"] for r in custody}
    for month, wb in workbooks.items():
        for r in wb["contracts"]:
            check_row(t_con, r, f"contracts {month}")
            start = parse_date(r["start_date"], t_con.column("start_date").formats)
            end = parse_date(r["planned_end_date"], t_con.column("planned_end_date").formats)
            assert end == plus_months(start, 4)
            assert (r["status"] != "ACTIVE") == (r["status_date"] is not None)
            assert (r["status"] == "FAILED") == (r["failure_reason"] is not None)
            assert r["custody_ref"] in custody_refs
        refs = {r["contract_ref"] for r in wb["contracts"]}
        for r in wb["sessions"]:
            check_row(t_ses, r, f"sessions {month}")
            assert r["contract_ref"] in refs
        keys = Counter((r["contract_ref"], r["session_date"], r["session_type"]) for r in wb["sessions"])
        assert not keys or max(keys.values()) == 1


def test_clean_funnel_rates_are_plausible(clean):
    out, summary = clean
    rms, custody, workbooks = _load_clean(out, summary)
    months = CLEAN["months"]
    first_versions = [r for r in rms if r["record_version"] == "1"]
    per_month = len(first_versions) / months
    assert 900 < per_month < 1500
    assert sum(r["force_code"] == "DUR" for r in first_versions) / len(first_versions) > 0.9

    ages = []
    for r in first_versions:
        born = dt.date.fromisoformat(r["date_of_birth"])
        on = dt.date.fromisoformat(r["arrest_datetime"][:10])
        ages.append(on.year - born.year - ((on.month, on.day) < (born.month, born.day)))
    juvenile = sum(16 <= a <= 17 for a in ages) / len(ages)
    assert 0.005 < juvenile < 0.1 and min(ages) >= 16
    assert any(not r["surname"].isascii() or not r["forenames"].isascii() for r in first_versions)

    n = len(custody)
    eligible = [r for r in custody if r["checkpoint_eligible"] == "Y"]
    offered = [r for r in eligible if r["checkpoint_offered"] == "Y"]
    accepted = [r for r in offered if r["offer_response"] == "ACCEPTED"]
    assert 0.8 < n / len(first_versions) < 1.0
    assert 0.02 < len(eligible) / n < 0.2  # most arrests are out of scope or barred
    assert 20 < len(accepted) / months < 100  # Durham: a few dozen contracts a month
    assert 0.75 < len(offered) / len(eligible) < 0.97
    assert 0.6 < len(accepted) / len(offered) < 0.92

    last = workbooks[max(workbooks)]["contracts"]
    assert len(last) == len(accepted)  # every accepted offer became a contract
    first_cohort = [r for r in last if parse_date(r["start_date"], ["%d/%m/%Y"]).strftime("%Y-%m") == "2025-01"]
    status = Counter(r["status"] for r in first_cohort)
    total = len(first_cohort)
    assert 0.8 < status["COMPLETED"] / total < 0.95
    assert 0.03 < status["FAILED"] / total < 0.15
    assert status["WITHDRAWN"] / total < 0.08
    assert status["ACTIVE"] / total < 0.05

    # completed contracts end their arrest with outcome 22, then an expunged version
    arrest_of = {r["custody_ref"]: r["arrest_id"] for r in custody}
    outcome22 = {r["arrest_id"] for r in rms if r["outcome_code"] == "22"}
    expunged = {r["arrest_id"] for r in rms if r["record_status"] == "EXPUNGED"}
    done = [r for r in last if r["status"] == "COMPLETED"
            and parse_date(r["status_date"], ["%d/%m/%Y"]) < dt.date(2025, 6, 10)]
    assert done
    assert sum(arrest_of[r["custody_ref"]] in outcome22 for r in done) / len(done) > 0.95
    assert expunged and expunged <= outcome22
    sessions = sum(len(wb["sessions"]) for wb in workbooks.values())
    assert 3 < sessions / len(last) < 12


def test_cli_writes_a_landing(tmp_path, capsys):
    assert main_generate(["--out", str(tmp_path / "cli"), "--months", "1", "--seed", "5", "--clean"]) == 0
    assert (tmp_path / "cli/rms/arrests_202501.csv").exists()
    assert (tmp_path / "cli/programme/checkpoint_programme_202501.xlsx").exists()
    assert "wrote 3 files" in capsys.readouterr().out
    assert main_generate(["--out", str(tmp_path / "x"), "--start", "2025-13"]) == 2
    assert main_generate(["--out", str(tmp_path / "x"), "--scale", "mars"]) == 2
