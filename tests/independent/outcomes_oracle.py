"""Plain-Python oracle for outcomes.md (v3): no SQL, nothing from ``pipelines``.

- ``expected_outcomes(loaded, deliveries, period)`` -> ``{(period, measure, breakdown,
  category): OCell}``: exactly the cells of ``marts.outcome_measures`` when ``period`` is
  the last month of the grid (``loaded`` as ``landing.expected_loaded_rows`` gives it,
  ``deliveries`` the (source, month) pairs with an accepted delivery);
- ``published_outcomes(cells, period, previous=None)`` -> the rows of
  ``checkpoint_outcomes_P.csv`` (tuples of its nine columns), ``previous`` the previous
  outcomes file's rows or None;
- ``outcomes_csv_text(rows)`` -> the file's exact text.

People are followed by their ``person_id`` (the warehouse has only its pseudonym, keyed
one to one).
"""
from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from .oracle import age_band, age_years, _ETH

Z = 1.959964
MEASURES = [  # (measure, unit, family, horizon, outcome, months after C needed)
    ("acceptance_rate_12m", "rate", "rolling", None, None, 0),
    ("completion_rate_12m", "rate", "rolling", None, None, 0),
    ("offer_rri_12m", "rri", "rri", None, None, 0),
    ("acceptance_rri_12m", "rri", "rri", None, None, 0),
    ("completion_rri_12m", "rri", "rri", None, None, 0),
    ("diverted_cohort", "count", "diverted", None, None, 12),
    ("rearrest_rate_12m", "rate", "diverted", 12, "rearrest", 12),
    ("reoffending_rate_12m", "rate", "diverted", 12, "reoffending", 18),
    ("rearrest_rate_24m", "rate", "diverted", 24, "rearrest", 24),
    ("reoffending_rate_24m", "rate", "diverted", 24, "reoffending", 30),
    ("declined_cohort", "count", "declined", None, None, 12),
    ("declined_rearrest_rate_12m", "rate", "declined", 12, "rearrest", 12),
    ("declined_reoffending_rate_12m", "rate", "declined", 12, "reoffending", 18),
]
CATEGORIES = {
    "total": ["all"], "sex": ["M", "F", "X", "U"],
    "age_band": ["0-17", "18-24", "25-34", "35-44", "45-54", "55+"],
    "ethnicity_group": ["Asian", "Black", "Mixed", "White", "Other", "Not stated"],
    "drug_class": ["A", "B", "C", "none"],
    "contract_status": ["ACTIVE", "COMPLETED", "FAILED", "WITHDRAWN"],
}
RRI_GROUPS = ["Asian", "Black", "Mixed", "Other"]
ROLLING_BREAKDOWNS = ["total", "sex", "age_band", "ethnicity_group", "drug_class"]
DIVERTED_BREAKDOWNS = ["total", "sex", "age_band", "ethnicity_group", "contract_status"]
DECLINED_BREAKDOWNS = ["total", "sex", "age_band", "ethnicity_group"]
REOFFENCE_CODES = {"1", "3", "8"}
HEADER = ("period", "measure", "breakdown", "category", "value", "lower_95", "upper_95",
          "marker", "status")


@dataclass
class OCell:
    key: tuple[str, str, str, str]
    unit: str
    missing: bool = False
    value: float | None = None
    lower: float | None = None
    upper: float | None = None
    x: int | None = None   # numerator (a), None for counts and [x]
    n: int | None = None   # denominator, None for counts and [x]
    c: int | None = None   # RRI reference
    m: int | None = None
    count: int | None = None


def _plus_months(d: date, k: int) -> date:
    total = d.month - 1 + k
    y, mo = d.year + total // 12, total % 12 + 1
    return date(y, mo, min(d.day, calendar.monthrange(y, mo)[1]))


def _month(d) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _shift(month: str, k: int) -> str:
    return _month(_plus_months(date(int(month[:4]), int(month[5:]), 1), k))


def _span(first: str, last: str) -> list[str]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = _shift(m, 1)
    return out


def wilson(x: int, n: int) -> tuple[float, float]:
    centre = (x + Z * Z / 2) / (n + Z * Z)
    half = Z * math.sqrt(x * (n - x) / n + Z * Z / 4) / (n + Z * Z)
    return max(0.0, 100 * (centre - half)), min(100.0, 100 * (centre + half))


def rri_interval(a: int, n: int, c: int, m: int) -> tuple[float, float, float]:
    r = (a / n) / (c / m)
    se = math.sqrt(1 / a - 1 / n + 1 / c - 1 / m)
    return r, math.exp(math.log(r) - Z * se), math.exp(math.log(r) + Z * se)


def expected_outcomes(loaded: dict, deliveries, period: str) -> dict[tuple, OCell]:
    deliveries = list(deliveries)
    have = {s: {mo for src, mo in deliveries if src == s} for s in ("rms", "custody", "programme")}
    first = min(mo for _, mo in deliveries)
    grid = _span(first, period)

    current: dict[str, dict] = {}
    for r in loaded["arrests"]:
        if r["arrest_id"] not in current or r["record_version"] > current[r["arrest_id"]]["record_version"]:
            current[r["arrest_id"]] = r

    def attrs(arrest_id: str) -> dict:
        a = current[arrest_id]
        return {"total": "all", "sex": a["sex"],
                "age_band": age_band(age_years(a["date_of_birth"], a["arrest_datetime"].date())),
                "ethnicity_group": _ETH[a["ethnicity_code"]],
                "drug_class": a["drug_class"] or "none"}

    custody = [c for c in loaded["custody"] if c["arrest_id"] in current]
    by_ref = {c["custody_ref"]: c for c in custody}
    contracts = [ct for ct in loaded["contracts"] if ct["custody_ref"] in by_ref]
    arrests_of: dict[str, list[dict]] = {}
    for a in current.values():
        arrests_of.setdefault(a["person_id"], []).append(a)

    # ---- records: (measure, own month, attrs, in numerator, in denominator)
    records: list[tuple[str, str, dict, bool | None, bool]] = []
    for c in custody:
        month, at = _month(c["booked_in"]), attrs(c["arrest_id"])
        offered, accepted = c["checkpoint_offered"] == "Y", c["offer_response"] == "ACCEPTED"
        if offered or accepted:
            records.append(("acceptance_rate_12m", month, at, accepted, offered))
        if c["checkpoint_eligible"] == "Y":
            records.append(("offer_rri_12m", month, at, offered, True))
        if offered:
            records.append(("acceptance_rri_12m", month, at, accepted, True))
    for ct in contracts:
        if ct["status"] in ("COMPLETED", "FAILED"):
            at = attrs(by_ref[ct["custody_ref"]]["arrest_id"])
            done = ct["status"] == "COMPLETED"
            records.append(("completion_rate_12m", _month(ct["status_date"]), at, done, True))
            records.append(("completion_rri_12m", _month(ct["status_date"]), at, done, True))

    def follow(index_id: str, d: date, h: int) -> tuple[bool, bool]:
        end = _plus_months(d, h)
        deadline = _plus_months(end, 6)
        later = [a for a in arrests_of[current[index_id]["person_id"]]
                 if a["arrest_id"] != index_id and d < a["arrest_datetime"].date() <= end]
        return bool(later), any(a["outcome_code"] in REOFFENCE_CODES and a["outcome_date"] is not None
                                and a["outcome_date"] <= deadline for a in later)

    members = []  # (family, cohort month, attrs incl. contract_status, index id, D)
    for ct in contracts:
        aid = by_ref[ct["custody_ref"]]["arrest_id"]
        members.append(("diverted", _month(ct["start_date"]),
                        {**attrs(aid), "contract_status": ct["status"]}, aid, ct["start_date"]))
    for c in custody:
        if c["offer_response"] == "DECLINED":
            members.append(("declined", _month(c["booked_in"]), attrs(c["arrest_id"]),
                            c["arrest_id"], c["booked_in"].date()))
    for family, month, at, aid, d in members:
        outcomes = {h: follow(aid, d, h) for h in (12, 24)}
        for name, unit, fam, h, outcome, _ in MEASURES:
            if fam != family:
                continue
            if unit == "count":
                records.append((name, month, at, None, True))
            else:
                re, ro = outcomes[h]
                records.append((name, month, at, re if outcome == "rearrest" else ro, True))

    # ---- cells
    cells: dict[tuple, OCell] = {}
    for name, unit, family, h, outcome, after in MEASURES:
        rolling = family in ("rolling", "rri")
        periods = [p for p in grid if (p >= _shift(first, 11) if rolling else p <= _shift(period, -after))]
        breakdowns = (["ethnicity_group"] if family == "rri" else ROLLING_BREAKDOWNS if rolling
                      else DIVERTED_BREAKDOWNS if family == "diverted" else DECLINED_BREAKDOWNS)
        mine = [r for r in records if r[0] == name]
        for p in periods:
            window = _span(_shift(p, -11), p) if rolling else [p]
            if name in ("completion_rate_12m", "completion_rri_12m"):
                missing = False
            elif rolling:
                missing = any(mo not in have["custody"] for mo in window)
            else:
                missing = any(mo not in have["rms"] for mo in _span(p, _shift(p, after)))
                missing = missing or (family == "declined" and p not in have["custody"])
            pooled = [r for r in mine if r[1] in window]
            for bd in breakdowns:
                cats = RRI_GROUPS if family == "rri" else CATEGORIES[bd]
                for cat in cats:
                    key = (p, name, bd, cat)
                    cell = OCell(key, unit, missing)
                    cells[key] = cell
                    if missing:
                        continue
                    group = [r for r in pooled if r[2].get(bd) == cat]
                    x = sum(1 for r in group if r[3])
                    n = sum(1 for r in group if r[4])
                    if unit == "count":
                        cell.count, cell.value = n, float(n)
                    elif unit == "rate":
                        cell.x, cell.n = x, n
                        if n:
                            cell.value = float(Fraction(100 * x, n))
                            cell.lower, cell.upper = wilson(x, n)
                    else:
                        ref = [r for r in pooled if r[2]["ethnicity_group"] == "White"]
                        c = sum(1 for r in ref if r[3])
                        m = sum(1 for r in ref if r[4])
                        cell.x, cell.n, cell.c, cell.m = x, n, c, m
                        if 0 not in (x, n, c, m):
                            cell.value, cell.lower, cell.upper = rri_interval(x, n, c, m)
    return cells


# ---- publication ----------------------------------------------------------------------

def _round(v, places: int) -> str:
    d = (Decimal(v.numerator) / Decimal(v.denominator) if isinstance(v, Fraction)
         else Decimal(repr(v)))
    return str(d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _shown(cell: OCell) -> tuple[str, str, str, str]:
    """(value, lower, upper, marker) before secondary suppression."""
    if cell.missing:
        return "", "", "", "[x]"
    if cell.unit == "count":
        return ("", "", "", "[c]") if 1 <= cell.count <= 4 else (str(cell.count), "", "", "")
    x, n = cell.x, cell.n
    if cell.unit == "rate":
        if n == 0:
            return "", "", "", "[z]"
        if 1 <= n <= 9 or 1 <= x <= 4 or 1 <= n - x <= 4:
            return "", "", "", "[c]"
        return _round(Fraction(100 * x, n), 1), _round(cell.lower, 1), _round(cell.upper, 1), ""
    c, m = cell.c, cell.m
    if 0 in (x, n, c, m):
        return "", "", "", "[z]"
    if any(1 <= k <= 4 for k in (x, n - x, c, m - c)):
        return "", "", "", "[c]"
    return (_round(Fraction(x * m, n * c), 2), _round(cell.lower, 2), _round(cell.upper, 2), "")


def published_outcomes(cells: dict[tuple, OCell], period: str, previous=None) -> list[tuple]:
    order = {name: i for i, (name, *_) in enumerate(MEASURES)}
    bd_order = {b: i for i, b in enumerate(CATEGORIES)}
    cat_order = {(b, c): i for b, cs in CATEGORIES.items() for i, c in enumerate(cs)}
    keys = sorted(cells, key=lambda k: (order[k[1]], k[0], bd_order[k[2]], cat_order[(k[2], k[3])]))
    shown = {k: list(_shown(cells[k])) for k in keys}
    # methodology step 4 on the counts, decided on the primary markers, one pass
    primary = {k: shown[k][3] == "[c]" for k in keys}
    for k in keys:
        p, name, bd, _ = k
        if cells[k].unit != "count" or bd != "total" or shown[k][3]:
            continue
        for other in CATEGORIES:
            if other == "total":
                continue
            group = [(p, name, other, c) for c in CATEGORIES[other] if (p, name, other, c) in cells]
            flagged = [g for g in group if primary[g]]
            if len(flagged) != 1:
                continue
            best = None
            for g in group:
                if g in flagged or cells[g].count == 0:
                    continue
                if best is None or cells[g].count < cells[best].count:
                    best = g
            if best is not None:
                shown[best] = ["", "", "", "[c]"]
    prev = {tuple(r[:4]): (r[4] or r[7]) for r in (previous or [])}
    rolling = {name for name, _, family, *_ in MEASURES if family in ("rolling", "rri")}
    rows = []
    for k in keys:
        value, lower, upper, marker = shown[k]
        status = "[p]" if k[1] in rolling and k[0] == period else ""
        if k in prev and prev[k] != (value or marker):
            status += "[r]"
        rows.append((*k, value, lower, upper, marker, status))
    return rows


def outcomes_csv_text(rows) -> str:
    return "\n".join([",".join(HEADER)] + [",".join(r) for r in rows]) + "\n"
