"""Quick checks of the independent landing folder and oracle themselves (no pipeline)."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from fractions import Fraction

import pytest

from . import landing as L
from . import oracle as O


# --------------------------------------------------------------------------------------
# oracle arithmetic on tiny hand examples
# --------------------------------------------------------------------------------------

def test_median_even_count_is_mean_of_middle_two():
    assert O.median([10, 1, 3, 2]) == Fraction(5, 2)
    assert O.median([4, 1, 7]) == 4
    assert O.median([]) is None
    assert O.round_1dp(O.median([30, 41, 14, 60, 45, 26])) == "35.5"


@pytest.mark.parametrize("dob,on,age", [
    (date(2008, 2, 29), date(2026, 2, 28), 17),   # common year: birthday is 1 March
    (date(2008, 2, 29), date(2026, 3, 1), 18),
    (date(2008, 2, 29), date(2028, 2, 28), 19),   # leap year: birthday is 29 February
    (date(2008, 2, 29), date(2028, 2, 29), 20),
    (date(2008, 7, 14), date(2026, 7, 14), 18),   # turns 18 on the day
    (date(2008, 7, 15), date(2026, 7, 14), 17),
])
def test_age_whole_years_and_29_february(dob, on, age):
    assert O.age_years(dob, on) == age
    assert L.age_on(dob, on) == age          # the two implementations agree


def test_age_implementations_agree_on_many_dates():
    dobs = [date(2008, 2, 29), date(2004, 2, 29), date(1990, 3, 1), date(1999, 12, 31)]
    d = date(2025, 1, 1)
    while d < date(2029, 1, 1):
        for b in dobs:
            assert O.age_years(b, d) == L.age_on(b, d), (b, d)
        d = date.fromordinal(d.toordinal() + 1)


@pytest.mark.parametrize("x,text", [
    (Fraction(1, 20), "0.1"), (0.05, "0.1"), (Fraction(9 * 100, 16), "56.3"),
    (Fraction(5 * 100, 16), "31.3"), (Fraction(1, 4), "0.3"), (50, "50.0"),
    (Fraction(-1, 20), "-0.1"), (Fraction(200, 3), "66.7"), (Fraction(0), "0.0"),
])
def test_rounding_half_away_from_zero(x, text):
    assert O.round_1dp(x) == text


def test_age_bands_and_scope():
    assert [O.age_band(a) for a in (17, 18, 24, 25, 34, 35, 44, 45, 54, 55, 90)] == [
        "0-17", "18-24", "18-24", "25-34", "25-34", "35-44", "35-44", "45-54", "45-54",
        "55+", "55+"]
    assert O.offence_group("999/99") == "other"
    assert not O.in_scope("092/04", date(2017, 12, 31), 30)     # supply from 2018
    assert O.in_scope("092/04", date(2018, 1, 1), 30)
    assert not O.in_scope("092/05", date(2026, 1, 1), 30)       # production never
    assert not O.in_scope("092/01", date(2026, 1, 1), 17)


def _grid(period, counts=None, rates=None):
    """A one-period grid of Cells: all zero except the given counts / rates."""
    cells = {}
    for key in O.grid_keys([period]):
        _, meas, bd, cat = key
        kind = O.MEASURE_KIND[meas]
        c = O.Cell(*key, kind=kind)
        if kind == "count":
            c.count = (counts or {}).get((meas, bd, cat), 0)
            c.value = float(c.count)
        elif kind == "rate":
            c.numerator, c.denominator = (rates or {}).get((meas, bd, cat), (0, 0))
        else:
            c.values, c.n_values = (), 0
        cells[key] = c
    return cells


def test_secondary_suppression_tie_break_first_in_order():
    m = "arrests_in_scope"
    counts = {(m, "total", "all"): 13, (m, "sex", "M"): 3, (m, "sex", "F"): 5,
              (m, "sex", "X"): 5, (m, "sex", "U"): 0,
              # two primary [c] in age_band: no secondary there
              (m, "age_band", "18-24"): 2, (m, "age_band", "25-34"): 4,
              (m, "age_band", "35-44"): 7,
              # none suppressed in ethnicity
              (m, "ethnicity_group", "White"): 13,
              # total [c]: no secondary
              ("records_expunged", "total", "all"): 4, ("records_expunged", "sex", "F"): 4}
    rows = O.published_cells(_grid("2026-05", counts), latest_period="2026-06")
    pub = {r[:4]: (r[4], r[5]) for r in rows}
    assert pub[("2026-05", m, "sex", "M")] == ("", "[c]")
    assert pub[("2026-05", m, "sex", "F")] == ("", "[c]")     # tie 5/5: F listed first
    assert pub[("2026-05", m, "sex", "X")] == ("5", "")
    assert pub[("2026-05", m, "sex", "U")] == ("0", "")
    assert pub[("2026-05", m, "age_band", "35-44")] == ("7", "")
    assert pub[("2026-05", m, "ethnicity_group", "White")] == ("13", "")
    assert pub[("2026-05", "records_expunged", "total", "all")] == ("", "[c]")
    assert pub[("2026-05", "records_expunged", "sex", "F")] == ("", "[c]")
    assert pub[("2026-05", "records_expunged", "sex", "M")] == ("0", "")
    assert all(r[6] == "" for r in rows)                      # not the latest period


def test_rate_suppression_and_markers():
    r = "acceptance_rate"
    rates = {(r, "total", "all"): (9, 16), (r, "sex", "M"): (5, 9), (r, "sex", "F"): (4, 20),
             (r, "sex", "X"): (16, 20), (r, "sex", "U"): (0, 12),
             (r, "age_band", "18-24"): (10, 10)}
    rows = O.published_cells(_grid("2026-05", rates=rates), latest_period="2026-05")
    pub = {r_[:4]: (r_[4], r_[5], r_[6]) for r_ in rows}
    assert pub[("2026-05", r, "total", "all")] == ("56.3", "", "[p]")
    assert pub[("2026-05", r, "sex", "M")][1] == "[c]"        # denominator 1-9
    assert pub[("2026-05", r, "sex", "F")][1] == "[c]"        # numerator 1-4
    assert pub[("2026-05", r, "sex", "X")][1] == "[c]"        # den - num 1-4
    assert pub[("2026-05", r, "sex", "U")][:2] == ("0.0", "")
    assert pub[("2026-05", r, "age_band", "18-24")][:2] == ("100.0", "")
    assert pub[("2026-05", r, "age_band", "55+")][:2] == ("", "[z]")
    assert pub[("2026-05", "median_days_to_expungement", "total", "all")][:2] == ("", "[z]")


def test_revised_and_provisional_flags():
    prev = [("2026-05", "arrests_in_scope", "total", "all", "12", "", "[p]")]
    cells = _grid("2026-05", {("arrests_in_scope", "total", "all"): 13,
                              ("arrests_in_scope", "sex", "M"): 13})
    cells.update(_grid("2026-06"))
    rows = O.published_cells(cells, previous=prev, latest_period="2026-06")
    pub = {r[:4]: r for r in rows}
    assert pub[("2026-05", "arrests_in_scope", "total", "all")][6] == "[r]"
    assert pub[("2026-05", "arrests_in_scope", "sex", "M")][6] == ""   # not in previous
    assert pub[("2026-06", "arrests_in_scope", "total", "all")][6] == "[p]"
    assert O.revisions(rows, prev) == [
        ("2026-05", "arrests_in_scope", "total", "all", "12", "13")]


def test_tiny_world_through_expected_measures():
    def arrest(aid, v, upd, status="ACTIVE", exp=None, dob=date(1990, 1, 1),
               code="092/01", dclass="B", sex="F"):
        return {"arrest_id": aid, "record_version": v, "updated_at": upd,
                "date_of_birth": dob, "sex": sex, "ethnicity_code": "A1",
                "arrest_datetime": datetime(2026, 3, 5, 10, 0), "offence_code": code,
                "drug_class": dclass, "record_status": status, "expunged_date": exp}
    loaded = {
        "arrests": [
            arrest("AA-A-0000001", 1, datetime(2026, 3, 5, 12, 0)),
            arrest("AA-A-0000001", 3, datetime(2026, 8, 3, 9, 0), "EXPUNGED",
                   date(2026, 7, 30)),                        # written after end of July
            arrest("AA-A-0000002", 1, datetime(2026, 3, 5, 12, 0), dob=date(2008, 3, 6)),
        ],
        "custody": [
            {"custody_ref": "AA/C/26/000001", "arrest_id": "AA-A-0000001",
             "booked_in": datetime(2026, 3, 5, 10, 30), "checkpoint_eligible": "Y",
             "checkpoint_offered": "Y", "offer_response": "ACCEPTED"},
            {"custody_ref": "AA/C/26/000009", "arrest_id": "AA-A-0000099",   # orphan
             "booked_in": datetime(2026, 3, 6, 10, 30), "checkpoint_eligible": "Y",
             "checkpoint_offered": "Y", "offer_response": "ACCEPTED"},
        ],
        "contracts": [
            {"contract_ref": "CP-000001", "custody_ref": "AA/C/26/000001",
             "start_date": date(2026, 3, 5), "status": "COMPLETED",
             "status_date": date(2026, 6, 20)},
        ],
        "sessions": [],
    }
    dels = [("rms", "2026-03"), ("rms", "2026-06"), ("rms", "2026-07"),
            ("custody", "2026-03")]
    v = O.expected_measures(loaded, dels, "2026-08")
    assert min(k[0] for k in v) == "2026-03"
    assert v[("2026-03", "arrests_in_scope", "total", "all")] == 1.0   # the 17-year-old out
    assert v[("2026-03", "arrests_in_scope", "age_band", "0-17")] == 0.0
    assert v[("2026-03", "offers_made", "total", "all")] == 1.0        # orphan held back
    assert v[("2026-03", "acceptance_rate", "total", "all")] == 100.0
    assert v[("2026-04", "offers_made", "total", "all")] is None       # no custody delivery
    assert v[("2026-07", "records_expunged", "total", "all")] == 1.0
    assert v[("2026-07", "median_days_to_expungement", "total", "all")] == 40.0
    # completed 20 Jun <= 31 Jul - 28 days; as at 31 Jul the arrest is not yet EXPUNGED
    assert v[("2026-07", "awaiting_expungement", "total", "all")] == 1.0
    assert v[("2026-08", "awaiting_expungement", "total", "all")] is None   # no rms 08
    assert v[("2026-06", "awaiting_expungement", "total", "all")] == 0.0
    assert v[("2026-05", "active_contracts", "total", "all")] == 1.0
    assert v[("2026-06", "active_contracts", "total", "all")] == 0.0
    assert v[("2026-06", "completion_rate", "total", "all")] == 100.0
    assert v[("2026-05", "completion_rate", "total", "all")] is None
    assert O.held_back(loaded)["custody"] == ["AA/C/26/000009"]


# --------------------------------------------------------------------------------------
# the landing folder
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root1 = tmp_path_factory.mktemp("s1")
    root2 = tmp_path_factory.mktemp("s2")
    return L.build_landing(root1, 1), L.build_landing(root2, 2)


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_build_is_deterministic_and_stage1_bytes_kept_in_stage2(built, tmp_path):
    e1, e2 = built
    again = L.build_landing(tmp_path / "again", 1)
    assert _files(e1.root) == _files(again.root)
    f1, f2 = _files(e1.root), _files(e2.root)
    assert set(f1) < set(f2)
    assert all(f2[n] == b for n, b in f1.items())
    assert set(f1) == set(e1.files) and set(f2) == set(e2.files)


def test_encodings(built):
    e1, e2 = built
    files = _files(e2.root)
    for name, data in files.items():
        st = e2.files[name].status
        if name.startswith("rms/arrests_") and st in ("accepted", "superseded"):
            assert data.startswith(b"\xef\xbb\xbf"), name
            data.decode("utf-8")
            assert data.count(b"\n") == data.count(b"\r\n"), name
        if name.startswith("custody/custody_") and st in ("accepted", "superseded") \
                and data:
            assert b"\r" not in data, name
            text = data.decode("cp1252")
            assert not text.startswith("\ufeff")
            if name != "custody/custody_202601.csv":
                assert "é" in text and b"\xe9" in data, name
    with pytest.raises(UnicodeDecodeError):
        files["rms/arrests_202608_v2.csv"].decode("utf-8")
    with pytest.raises(UnicodeDecodeError):
        files["custody/custody_202609_v3.csv"].decode("cp1252")
    assert files["custody/custody_202610_v2.csv"] == b""
    assert files["custody/custody_202605_v2.csv"] == files["custody/custody_202605.csv"]
    assert files["rms/arrests_202602.csv"].endswith(b"\r\n\r\n\r\n")
    assert not files["rms/arrests_202609.csv"].endswith(b"\n")
    assert not files["custody/custody_202610.csv"].endswith(b"\n")
    assert files["custody/custody_202601.csv"].count(b"\n") == 1    # header only


def test_workbooks_have_date_cells_text_dates_extra_sheet_and_varying_order(built):
    from openpyxl import load_workbook
    e1, _ = built
    orders, kinds = set(), set()
    for name in e1.files:
        if not name.endswith(".xlsx") or e1.files[name].status != "accepted":
            continue
        wb = load_workbook(e1.root / name)
        assert {"Contracts", "Sessions"} <= set(wb.sheetnames)
        assert len(wb.sheetnames) == 3
        ws = wb["Contracts"]
        rows = list(ws.iter_rows(values_only=True))
        orders.add(rows[0])
        i = rows[0].index("start_date")
        kinds |= {type(r[i]).__name__ for r in rows[1:]}
    assert len(orders) >= 3
    assert {"datetime", "str"} <= kinds


def test_written_rows_match_the_expected_counts(built):
    """Writer round trip: the number of data rows in each accepted file is rows_read.
    (Expected is computed from the row specifications, not from this reading.)"""
    from openpyxl import load_workbook
    _, e2 = built
    for name, f in e2.files.items():
        if f.status not in ("accepted", "superseded"):
            continue
        path = e2.root / name
        if name.endswith(".csv"):
            enc = "utf-8-sig" if name.startswith("rms/") else "cp1252"
            text = path.read_bytes().decode(enc)
            rows = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
            header, data = rows[0], rows[1:]
            cols = L.RMS_COLUMNS if name.startswith("rms/") else L.CUSTODY_COLUMNS
            assert set(cols) <= set(header), name
            assert len(data) == f.rows_read, name
        else:
            wb = load_workbook(path)
            n = 0
            for sheet in ("Contracts", "Sessions"):
                rows = list(wb[sheet].iter_rows(values_only=True))
                n += sum(1 for r in rows[1:] if any(v is not None for v in r))
            assert n == f.rows_read, name
        assert f.rows_read == f.rows_loaded + f.rows_quarantined + f.rows_duplicate


def test_rejected_header_lacks_a_column(built):
    e1, _ = built
    head = (e1.root / "custody/custody_202608.csv").read_bytes().decode("cp1252")
    assert "released" not in head.splitlines()[0].split(",")
    with zipfile.ZipFile(e1.root / "programme/checkpoint_programme_202606_v2.xlsx") as z:
        assert z.testzip() is None


def test_expected_statuses(built):
    e1, e2 = built
    assert e1.files["custody/custody_202601.csv"].rows_read == 0
    assert e1.files["custody/custody_202601.csv"].status == "accepted"
    for name in ("rms/~$arrests_202607.csv", "notes.txt", "custody/custody_202608.csv.tmp"):
        assert e1.files[name].status == "ignored"
    assert e1.files["custody/custody_202609.csv"].status == "accepted"
    assert e2.files["custody/custody_202609.csv"].status == "superseded"
    assert e2.files["custody/custody_202609.csv"].rows_read == \
        e1.files["custody/custody_202609.csv"].rows_read
    assert e2.files["custody/custody_202609_v3.csv"].status == "rejected"
    assert e1.latest_period == "2026-10" and e2.latest_period == "2026-11"
    assert ("custody", "2026-08") not in e1.accepted_deliveries()
    assert ("custody", "2026-08") in e2.accepted_deliveries()
    for f in e2.files.values():
        if f.status in ("rejected", "duplicate", "ignored"):
            assert f.rows_read is None


# --------------------------------------------------------------------------------------
# the placed scenarios, seen through the oracle
# --------------------------------------------------------------------------------------

def _current(exp, aid):
    return max((r for r in exp.loaded["arrests"] if r["arrest_id"] == aid),
               key=lambda r: r["record_version"])


def test_placed_people_and_contracts(built):
    e1, e2 = built
    sp = e1.special
    assert _current(e1, sp["leap_17"])["age_at_arrest"] == 17
    assert _current(e1, sp["leap_18"])["age_at_arrest"] == 18
    assert _current(e1, sp["birthday_18"])["age_at_arrest"] == 18
    assert _current(e1, sp["day_before_18"])["age_at_arrest"] == 17
    versions = sorted(r["record_version"] for r in e1.loaded["arrests"]
                      if r["arrest_id"] == sp["rms_v2_quarantined"])
    assert versions == [1, 3]
    con1 = {c["contract_ref"]: c for c in e1.loaded["contracts"]}
    con2 = {c["contract_ref"]: c for c in e2.loaded["contracts"]}
    assert con1[sp["missing_from_snapshot"]]["status"] == "ACTIVE"
    assert con1[sp["oct_row_status_date_missing"]]["status"] == "ACTIVE"
    assert con2[sp["oct_row_status_date_missing"]]["status"] == "COMPLETED"
    assert con1[sp["oct_row_conflict"]]["status"] == "ACTIVE"
    assert con2[sp["oct_row_conflict"]]["status"] == "FAILED"
    assert sp["oct_row_planned_end_wrong"] not in con1
    assert sp["oct_row_planned_end_wrong"] in con2
    assert con2[sp["late_rms_contract"]]["planned_end_date"] == date(2027, 2, 28)
    hb1, hb2 = O.held_back(e1.loaded), O.held_back(e2.loaded)
    assert sp["late_rms_custody"] in hb1["custody"]
    assert sp["late_rms_custody"] not in hb2["custody"]
    assert sp["late_rms_contract"] in hb1["contracts"]
    assert "CP-999990" in hb1["contracts"] and "CP-999990" in hb2["contracts"]
    assert any(s[0] == "CP-999998" for s in hb2["sessions"])
    s_ref, s_date = sp["session_corrected"].split("|")
    s = [x for x in e1.loaded["sessions"] if x["contract_ref"] == s_ref
         and x["session_date"].isoformat() == s_date]
    assert [x["attendance"] for x in s if x["attendance"] != "ATTENDED"] == ["EXCUSED"]


def test_grid_and_publication_shape(built):
    e1, e2 = built
    cells = O.expected_measures(e1.loaded, e1.accepted_deliveries(), "2026-10",
                                detail=True)
    periods = sorted({k[0] for k in cells})
    assert periods[0] == "2026-01" and periods[-1] == "2026-10" and len(periods) == 10
    assert len(cells) == 10 * (10 * 29 + 3 * 21 + 1)
    # categories add up to the total
    for (p, m, bd, cat), c in cells.items():
        if c.kind == "count" and bd == "total" and not c.missing:
            for b, cats in O.BREAKDOWNS[1:]:
                assert sum(cells[(p, m, b, x)].count for x in cats) == c.count, (p, m, b)
    v = {k: c.value for k, c in cells.items()}
    assert v[("2026-01", "arrests_in_scope", "total", "all")] is None      # no rms yet
    assert v[("2026-01", "offers_made", "total", "all")] == 0.0            # header only
    assert v[("2026-01", "acceptance_rate", "total", "all")] is None
    assert v[("2026-08", "offers_made", "total", "all")] is None           # rejected
    assert v[("2026-03", "acceptance_rate", "sex", "M")] == 56.25
    assert v[("2026-08", "median_days_to_expungement", "total", "all")] == 35.5
    rows1 = O.published_cells(cells, latest_period="2026-10")
    assert [r[:4] for r in rows1] == O.grid_keys(periods)
    pub = {r[:4]: r for r in rows1}
    assert pub[("2026-03", "acceptance_rate", "sex", "M")][4] == "56.3"
    assert pub[("2026-08", "median_days_to_expungement", "total", "all")][4] == "35.5"
    assert pub[("2026-08", "offers_made", "sex", "M")][5] == "[x]"
    assert all("[p]" in r[6] for r in rows1 if r[0] == "2026-10")
    text = O.measures_csv_text(rows1)
    assert text.startswith("period,measure,breakdown,category,value,marker,status\n")
    # stage 2 revises stage-1 cells (e.g. custody 2026-08 arrives, September corrected)
    cells2 = O.expected_measures(e2.loaded, e2.accepted_deliveries(), "2026-11",
                                 detail=True)
    rows2 = O.published_cells(cells2, previous=rows1, latest_period="2026-11")
    pub2 = {r[:4]: r for r in rows2}
    assert pub2[("2026-08", "offers_made", "total", "all")][6] == "[r]"
    assert pub2[("2026-09", "offers_made", "total", "all")][6] == "[r]"
    assert pub2[("2026-10", "arrests_in_scope", "total", "all")][6] == "[r]"  # late arrest
    assert "[p]" not in pub2[("2026-10", "arrests_in_scope", "total", "all")][6]
    revs = O.revisions(rows2, rows1)
    assert len(revs) == sum(1 for r in rows2 if "[r]" in r[6])
