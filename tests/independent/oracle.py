"""Plain-Python oracle for methodology.md (no SQL, nothing from ``pipelines``).

Input: the rows in force per table (the shape of ``landing.expected_loaded_rows``) and
the (source, month) pairs that have an accepted delivery. Output: the methodology's
complete grid, exact, and the publication CSV rows derived from it.

Public API:

- ``expected_measures(loaded, deliveries, up_to_period, detail=False)``
    -> ``{(period, measure, breakdown, category): float | None}``
    or, with ``detail=True``, ``{key: Cell}`` (numerators, denominators, n_values…).
- ``published_cells(cells, previous=None, latest_period=None)``
    -> list of ``(period, measure, breakdown, category, value, marker, status)`` str
    tuples in publication.md order (``cells`` is the ``detail=True`` result).
- ``revisions(current_rows, previous_rows)`` -> rows of ``revisions_P.csv``.
- ``measures_csv_text(rows)`` -> exact text of ``checkpoint_measures_P.csv``.
- ``held_back(loaded)`` -> records kept but waiting for a key.
- ``grid_keys(periods)`` -> every (period, measure, breakdown, category) in order.

This module deliberately shares no code with ``landing.py`` (its own reference lists,
own age arithmetic), so the two check each other.
"""
from __future__ import annotations

import calendar
import csv
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Iterable

# (measure, kind, source) in the order of methodology.md's measures table
MEASURES: list[tuple[str, str, str]] = [
    ("arrests_in_scope", "count", "rms"),
    ("assessed_eligible", "count", "custody"),
    ("offers_made", "count", "custody"),
    ("offers_accepted", "count", "custody"),
    ("acceptance_rate", "rate", "custody"),
    ("diversions_started", "count", "programme"),
    ("contracts_completed", "count", "programme"),
    ("contracts_failed", "count", "programme"),
    ("completion_rate", "rate", "programme"),
    ("cohort_completion_rate", "rate", "programme"),
    ("records_expunged", "count", "rms"),
    ("median_days_to_expungement", "median", "rms"),
    ("awaiting_expungement", "count", "rms"),
    ("active_contracts", "count", "programme"),
]
MEASURE_KIND = {m: k for m, k, _ in MEASURES}
MEASURE_SOURCE = {m: s for m, _, s in MEASURES}

BREAKDOWNS: list[tuple[str, list[str]]] = [
    ("total", ["all"]),
    ("sex", ["M", "F", "X", "U"]),
    ("age_band", ["0-17", "18-24", "25-34", "35-44", "45-54", "55+"]),
    ("ethnicity_group", ["Asian", "Black", "Mixed", "White", "Other", "Not stated"]),
    ("drug_class", ["A", "B", "C", "none"]),
    ("offence_group", ["possession", "supply", "production", "theft", "damage",
                       "violence", "public_order", "other"]),
]
RATE_BREAKDOWNS = ("total", "sex", "age_band", "ethnicity_group", "drug_class")

_GROUP = {
    "092/01": "possession", "092/02": "possession", "092/03": "supply",
    "092/04": "supply", "092/05": "production", "046/01": "theft", "058/01": "damage",
    "105/01": "violence", "008/01": "violence", "125/01": "public_order",
}
_IN_SCOPE_FROM = {"possession": date(2015, 4, 1), "theft": date(2015, 4, 1),
                  "damage": date(2015, 4, 1), "public_order": date(2015, 4, 1),
                  "violence": date(2015, 4, 1), "supply": date(2018, 1, 1)}
_ETH = {}
for _g, _codes in (("Asian", "A1 A2 A3 A4 A5"), ("Black", "B1 B2 B3"),
                   ("Mixed", "M1 M2 M3 M4"), ("White", "W1 W2 W3 W9"),
                   ("Other", "O1 O2"), ("Not stated", "NS")):
    for _c in _codes.split():
        _ETH[_c] = _g

CSV_HEADER = ("period", "measure", "breakdown", "category", "value", "marker", "status")
REVISIONS_HEADER = ("period", "measure", "breakdown", "category", "previous_value",
                    "new_value")


@dataclass
class Cell:
    """One grid cell, exact.

    kind: ``count`` | ``rate`` | ``median``.
    missing: the measure's source has no accepted delivery for the period (``[x]``).
    value: exact value (float) or None (missing, rate with denominator 0, median over
        nothing).
    count: the count (counts only).
    numerator / denominator: rates only (value = 100 * numerator / denominator).
    n_values / values: medians only (the day differences, sorted).
    any_active: ``cohort_completion_rate`` only: some contract of the denominator is
        ACTIVE (the cell is then provisional).
    """
    period: str
    measure: str
    breakdown: str
    category: str
    kind: str
    missing: bool = False
    value: float | None = None
    count: int | None = None
    numerator: int | None = None
    denominator: int | None = None
    n_values: int | None = None
    values: tuple = ()
    any_active: bool = False

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.period, self.measure, self.breakdown, self.category)


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------

def _month(d) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _last_day(period: str) -> date:
    y, m = int(period[:4]), int(period[5:])
    return date(y, m, calendar.monthrange(y, m)[1])


def _months(first: str, last: str) -> list[str]:
    out = []
    y, m = int(first[:4]), int(first[5:])
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def age_years(dob: date, on: date) -> int:
    """Whole years from dob to ``on``; 29 Feb birthdays fall on 1 Mar in common years."""
    y = on.year
    if dob.month == 2 and dob.day == 29 and not calendar.isleap(y):
        birthday = date(y, 3, 1)
    else:
        birthday = date(y, dob.month, dob.day)
    return y - dob.year - (1 if on < birthday else 0)


def age_band(age: int) -> str:
    if age < 18:
        return "0-17"
    if age <= 24:
        return "18-24"
    if age <= 34:
        return "25-34"
    if age <= 44:
        return "35-44"
    if age <= 54:
        return "45-54"
    return "55+"


def offence_group(code: str) -> str:
    return _GROUP.get(code, "other")


def in_scope(code: str, on: date, age: int) -> bool:
    start = _IN_SCOPE_FROM.get(offence_group(code))
    return start is not None and on >= start and age >= 18


def median(values: list) -> Fraction | None:
    v = sorted(values)
    n = len(v)
    if n == 0:
        return None
    if n % 2:
        return Fraction(v[n // 2])
    return Fraction(v[n // 2 - 1] + v[n // 2], 2)


def round_1dp(x: Fraction | int | float | Decimal) -> str:
    """Half away from zero to exactly one decimal place, computed with Decimal."""
    if isinstance(x, Fraction):
        d = Decimal(x.numerator) / Decimal(x.denominator)
    elif isinstance(x, float):
        d = Decimal(repr(x))
    else:
        d = Decimal(x)
    return str(d.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _attrs(cur: dict) -> dict[str, str]:
    dob = cur["date_of_birth"]
    on = cur["arrest_datetime"].date()
    return {
        "total": "all",
        "sex": cur["sex"],
        "age_band": age_band(age_years(dob, on)),
        "ethnicity_group": _ETH[cur["ethnicity_code"]],
        "drug_class": cur["drug_class"] or "none",
        "offence_group": offence_group(cur["offence_code"]),
    }


class _Model:
    """Chains and states from the loaded rows."""

    def __init__(self, loaded: dict[str, list[dict]]):
        self.versions: dict[str, list[dict]] = {}
        for r in loaded["arrests"]:
            self.versions.setdefault(r["arrest_id"], []).append(r)
        for vs in self.versions.values():
            vs.sort(key=lambda r: r["record_version"])
        self.current = {a: vs[-1] for a, vs in self.versions.items()}
        self.attrs = {a: _attrs(c) for a, c in self.current.items()}
        self.custody = {c["custody_ref"]: c for c in loaded["custody"]}
        self.contracts = list(loaded["contracts"])
        self.sessions = list(loaded["sessions"])

    def as_at(self, arrest_id: str, d: date) -> dict | None:
        best = None
        for r in self.versions.get(arrest_id, []):
            if r["updated_at"].date() <= d:
                best = r
        return best

    def custody_arrest(self, c: dict) -> str | None:
        return c["arrest_id"] if c["arrest_id"] in self.current else None

    def contract_arrest(self, ct: dict) -> str | None:
        c = self.custody.get(ct["custody_ref"])
        return self.custody_arrest(c) if c is not None else None

    def countable_custody(self) -> list[tuple[dict, str]]:
        out = []
        for c in self.custody.values():
            a = self.custody_arrest(c)
            if a is not None:
                out.append((c, a))
        return out

    def countable_contracts(self) -> list[tuple[dict, str]]:
        out = []
        for ct in self.contracts:
            a = self.contract_arrest(ct)
            if a is not None:
                out.append((ct, a))
        return out


def held_back(loaded: dict[str, list[dict]]) -> dict[str, list]:
    """Loaded records whose chain cannot be followed (kept, out of the metrics):
    ``custody`` refs waiting for their arrest, ``contracts`` refs whose custody record
    or arrest is missing, ``sessions`` identities whose contract is missing."""
    m = _Model(loaded)
    contract_refs = {ct["contract_ref"] for ct in m.contracts}
    return {
        "custody": sorted(c["custody_ref"] for c in m.custody.values()
                          if m.custody_arrest(c) is None),
        "contracts": sorted(ct["contract_ref"] for ct in m.contracts
                            if m.contract_arrest(ct) is None),
        "sessions": sorted((s["contract_ref"], s["session_date"], s["session_type"])
                           for s in m.sessions if s["contract_ref"] not in contract_refs),
    }


# --------------------------------------------------------------------------------------
# the grid
# --------------------------------------------------------------------------------------

def breakdowns_for(measure: str) -> list[tuple[str, list[str]]]:
    kind = MEASURE_KIND[measure]
    if kind == "count":
        return BREAKDOWNS
    if kind == "rate":
        return [b for b in BREAKDOWNS if b[0] in RATE_BREAKDOWNS]
    return BREAKDOWNS[:1]


def grid_keys(periods: Iterable[str]) -> list[tuple[str, str, str, str]]:
    """Every (period, measure, breakdown, category) in publication order."""
    return [(p, m, bd, cat) for p in periods for m, _, _ in MEASURES
            for bd, cats in breakdowns_for(m) for cat in cats]


def expected_measures(loaded: dict[str, list[dict]],
                      deliveries: Iterable[tuple[str, str]],
                      up_to_period: str, detail: bool = False) -> dict:
    """The methodology's complete grid from the earliest month with an accepted
    delivery of any source up to ``up_to_period``.

    ``deliveries``: (source, month) of every accepted delivery (a header-only one
    included). Returns ``{(period, measure, breakdown, category): float | None}``;
    with ``detail=True`` returns ``{key: Cell}`` instead.
    """
    deliveries = list(deliveries)
    avail: dict[str, set[str]] = {"rms": set(), "custody": set(), "programme": set()}
    for src, mo in deliveries:
        avail[src].add(mo)
    first = min(mo for _, mo in deliveries)
    periods = _months(first, up_to_period)
    m = _Model(loaded)
    cust = m.countable_custody()
    cons = m.countable_contracts()

    # event measures: measure -> list of (period, arrest_id, payload)
    counts: dict[str, list[tuple[str, str]]] = {k: [] for k, kind, _ in MEASURES
                                                 if kind == "count"}
    rates: dict[str, list[tuple[str, str, bool, bool, bool]]] = {
        "acceptance_rate": [], "completion_rate": [], "cohort_completion_rate": []}
    med: list[tuple[str, int]] = []

    for aid, cur in m.current.items():
        on = cur["arrest_datetime"].date()
        if in_scope(cur["offence_code"], on, age_years(cur["date_of_birth"], on)):
            counts["arrests_in_scope"].append((_month(on), aid))
    for c, aid in cust:
        p = _month(c["booked_in"])
        if c["checkpoint_eligible"] == "Y":
            counts["assessed_eligible"].append((p, aid))
        if c["checkpoint_offered"] == "Y":
            counts["offers_made"].append((p, aid))
        if c["offer_response"] == "ACCEPTED":
            counts["offers_accepted"].append((p, aid))
        rates["acceptance_rate"].append(
            (p, aid, c["offer_response"] == "ACCEPTED", c["checkpoint_offered"] == "Y",
             False))
    for ct, aid in cons:
        counts["diversions_started"].append((_month(ct["start_date"]), aid))
        st, sd = ct["status"], ct["status_date"]
        if st == "COMPLETED":
            counts["contracts_completed"].append((_month(sd), aid))
        if st == "FAILED":
            counts["contracts_failed"].append((_month(sd), aid))
        if st in ("COMPLETED", "FAILED"):
            rates["completion_rate"].append((_month(sd), aid, st == "COMPLETED", True,
                                             False))
        rates["cohort_completion_rate"].append(
            (_month(ct["start_date"]), aid, st == "COMPLETED", True, st == "ACTIVE"))
    # expungement: the latest status_date of a COMPLETED contract leading to the arrest
    completed_by_arrest: dict[str, date] = {}
    for ct, aid in cons:
        if ct["status"] == "COMPLETED":
            prev = completed_by_arrest.get(aid)
            if prev is None or ct["status_date"] > prev:
                completed_by_arrest[aid] = ct["status_date"]
    for aid, cur in m.current.items():
        if cur["record_status"] == "EXPUNGED":
            p = _month(cur["expunged_date"])
            counts["records_expunged"].append((p, aid))
            if aid in completed_by_arrest:
                med.append((p, (cur["expunged_date"] - completed_by_arrest[aid]).days))
    # stocks, per period
    for p in periods:
        end = _last_day(p)
        cutoff = end - timedelta(days=28)
        for ct, aid in cons:
            st, sd = ct["status"], ct["status_date"]
            if st == "COMPLETED" and sd <= cutoff:
                state = m.as_at(aid, end)
                if state is None or state["record_status"] != "EXPUNGED":
                    counts["awaiting_expungement"].append((p, aid))
            if ct["start_date"] <= end and not (
                    st in ("COMPLETED", "FAILED", "WITHDRAWN") and sd is not None
                    and sd <= end):
                counts["active_contracts"].append((p, aid))

    # index for speed
    def index(items):
        ix: dict[tuple, list] = {}
        for it in items:
            p, aid = it[0], it[1]
            for bd, cat in m.attrs[aid].items():
                ix.setdefault((p, bd, cat), []).append(it)
        return ix

    count_ix = {k: index(v) for k, v in counts.items()}
    rate_ix = {k: index(v) for k, v in rates.items()}
    med_by_p: dict[str, list[int]] = {}
    for p, d in med:
        med_by_p.setdefault(p, []).append(d)

    cells: dict[tuple, Cell] = {}
    for key in grid_keys(periods):
        p, meas, bd, cat = key
        kind, src = MEASURE_KIND[meas], MEASURE_SOURCE[meas]
        cell = Cell(p, meas, bd, cat, kind)
        cell.missing = src != "programme" and p not in avail[src]
        if kind == "count":
            n = len(count_ix[meas].get((p, bd, cat), []))
            cell.count = n
            cell.value = None if cell.missing else float(n)
        elif kind == "rate":
            its = rate_ix[meas].get((p, bd, cat), [])
            num = sum(1 for it in its if it[2])
            den = sum(1 for it in its if it[3])
            cell.numerator, cell.denominator = num, den
            cell.any_active = any(it[4] for it in its if it[3])
            cell.value = (None if cell.missing or den == 0
                          else float(Fraction(100 * num, den)))
        else:
            vals = sorted(med_by_p.get(p, []))
            cell.values, cell.n_values = tuple(vals), len(vals)
            md = median(vals)
            cell.value = None if cell.missing or md is None else float(md)
        cells[key] = cell
    if detail:
        return cells
    return {k: c.value for k, c in cells.items()}


# --------------------------------------------------------------------------------------
# publication
# --------------------------------------------------------------------------------------

def _primary(cell: Cell) -> tuple[str, str]:
    """(value, marker) before secondary suppression."""
    if cell.missing:
        return "", "[x]"
    if cell.kind == "count":
        n = cell.count
        return ("", "[c]") if 1 <= n <= 4 else (str(n), "")
    if cell.kind == "rate":
        num, den = cell.numerator, cell.denominator
        if den == 0:
            return "", "[z]"
        if 1 <= den <= 9 or 1 <= num <= 4 or 1 <= den - num <= 4:
            return "", "[c]"
        return round_1dp(Fraction(100 * num, den)), ""
    n = cell.n_values
    if n == 0:
        return "", "[z]"
    if 1 <= n <= 4:
        return "", "[c]"
    return round_1dp(median(list(cell.values))), ""


def _read_previous(previous) -> dict[tuple, tuple[str, str]]:
    if previous is None:
        return {}
    if isinstance(previous, (str, Path)):
        with open(previous, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        rows = rows[1:]
    elif isinstance(previous, dict):
        return {tuple(k): (v[0], v[1]) for k, v in previous.items()}
    else:
        rows = list(previous)
    out = {}
    for r in rows:
        if isinstance(r, dict):
            out[(r["period"], r["measure"], r["breakdown"], r["category"])] = (
                r["value"], r["marker"])
        else:
            out[tuple(r[:4])] = (r[4], r[5])
    return out


def published_cells(cells: dict[tuple, Cell], previous=None,
                    latest_period: str | None = None) -> list[tuple[str, ...]]:
    """Rows of ``checkpoint_measures_P.csv`` (without header), in publication order.

    ``cells``: ``expected_measures(..., detail=True)``.
    ``previous``: the previous publication's measures, as rows (tuples/lists of the 7
    CSV columns, or dicts with those keys), a ``{key: (value, marker)}`` dict, or the
    path of its CSV file; None when there is no previous publication.
    ``latest_period``: the period published (default: the last period of ``cells``).
    """
    periods = sorted({k[0] for k in cells})
    latest = latest_period or periods[-1]
    keys = [k for k in grid_keys(periods) if k in cells]
    pub: dict[tuple, list[str]] = {k: list(_primary(cells[k])) for k in keys}
    # secondary suppression of counts, one pass, decided on the primary result
    primary_c = {k: pub[k][1] == "[c]" for k in keys}
    for p in periods:
        for meas, kind, _ in MEASURES:
            if kind != "count":
                continue
            total = (p, meas, "total", "all")
            if total not in pub or pub[total][1] != "" :
                continue  # the total holds no value
            for bd, cats in BREAKDOWNS[1:]:
                ks = [(p, meas, bd, c) for c in cats]
                flagged = [k for k in ks if primary_c[k]]
                if len(flagged) != 1:
                    continue
                best = None
                for k in ks:
                    if k in flagged:
                        continue
                    n = cells[k].count
                    if n > 0 and (best is None or n < cells[best].count):
                        best = k
                if best is not None:
                    pub[best] = ["", "[c]"]
    prev = _read_previous(previous)
    rows = []
    for k in keys:
        value, marker = pub[k]
        c = cells[k]
        status = ""
        if k[0] == latest or (c.measure == "cohort_completion_rate" and c.any_active):
            status += "[p]"
        if k in prev and prev[k] != (value, marker):
            status += "[r]"
        rows.append((k[0], k[1], k[2], k[3], value, marker, status))
    return rows


def revisions(current_rows, previous_rows) -> list[tuple[str, ...]]:
    """Rows of ``revisions_P.csv`` (without header): every cell present in both whose
    (value, marker) differs; a cell without a value shows its marker."""
    prev = _read_previous(previous_rows)
    out = []
    for r in current_rows:
        k = tuple(r[:4])
        if k in prev and prev[k] != (r[4], r[5]):
            pv, pm = prev[k]
            out.append((*k, pv or pm, r[4] or r[5]))
    return out


def measures_csv_text(rows) -> str:
    """UTF-8 (no BOM) LF text of the measures CSV, header included."""
    lines = [",".join(CSV_HEADER)] + [",".join(r) for r in rows]
    return "\n".join(lines) + "\n"


def expected_publication(loaded, deliveries, period: str, previous=None):
    """Shortcut: (cells, rows) for publishing ``period``."""
    cells = expected_measures(loaded, deliveries, period, detail=True)
    return cells, published_cells(cells, previous=previous, latest_period=period)


__all__ = ["Cell", "MEASURES", "BREAKDOWNS", "expected_measures", "published_cells",
           "revisions", "measures_csv_text", "held_back", "grid_keys", "age_years",
           "age_band", "median", "round_1dp", "expected_publication", "in_scope",
           "offence_group"]
