"""Rounding and disclosure control: exact warehouse cells -> published values and markers.

Follows the methodology's "Rounding and disclosure control" step by step:

1. counts as integers; rates and medians rounded half away from zero to one decimal
   (:func:`round_half_away`, in ``Decimal`` so that 2.25 gives 2.3 and not float's 2.2);
2. primary suppression: a count of 1 to 4 is ``[c]``;
3. a rate is ``[c]`` when its denominator is 1 to 9, its numerator 1 to 4 or its
   denominator minus numerator 1 to 4; a median over 1 to 4 values is ``[c]``;
4. secondary suppression of counts (:func:`_secondary`);
5. zero is 0; a rate over a zero denominator and a median over no values are ``[z]``; a
   missing source is ``[x]``, before anything else.

Rates are recomputed from their exact numerator and denominator (``100 × n ÷ d`` in
``Decimal``), so the rounding never sees a binary fraction; the warehouse's ``value`` is
checked against them and a disagreement is an error, not something to guess about.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pandas as pd

from pipelines.calendar_uk import parse_period
from pipelines.publication.periods import month_range
from pipelines.publication.reference import Reference

CONFIDENTIAL = "[c]"
NOT_APPLICABLE = "[z]"
NOT_AVAILABLE = "[x]"
PROVISIONAL = "[p]"
REVISED = "[r]"

INPUT_COLUMNS = (
    "period", "measure", "breakdown", "category", "value", "numerator", "denominator",
    "n_values", "source_available", "cohort_has_active",
)

Number = int | Decimal


@dataclass(frozen=True, slots=True)
class PublishedCell:
    """One published cell: a value or a marker, and its status flags."""

    period: str
    measure: str
    breakdown: str
    category: str
    unit: str
    value: str  # as written in the CSV ("31", "93.8"), "" when there is a marker
    marker: str  # "", "[c]", "[z]" or "[x]"
    number: Number | None  # the published number (int or one-decimal Decimal), or None
    cohort_active: bool = False  # cohort_completion_rate with an ACTIVE contract
    status: str = ""  # "", "[p]", "[r]" or "[p][r]"

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.period, self.measure, self.breakdown, self.category)

    @property
    def shown(self) -> str:
        """The published value or, failing one, the marker (what revisions compare)."""
        return self.value or self.marker


def round_half_away(x: object, places: int = 1) -> Decimal:
    """Round half away from zero to ``places`` decimals, in decimal arithmetic.

    A float is taken at its shortest repr (``0.05`` is 0.05, not the binary fraction just
    above it), so ``round_half_away(0.05) == Decimal("0.1")``, ``2.25 -> 2.3``,
    ``-2.25 -> -2.3``.
    """
    if isinstance(x, Decimal):
        d = x
    elif isinstance(x, bool):
        raise TypeError("round_half_away takes a number, not a bool")
    elif isinstance(x, numbers.Integral):
        d = Decimal(int(x))
    elif isinstance(x, numbers.Real):
        f = float(x)
        if not math.isfinite(f):
            raise ValueError(f"cannot round {x!r}")
        d = Decimal(repr(f))
    elif isinstance(x, str):
        d = Decimal(x)
    else:
        raise TypeError(f"cannot round {type(x).__name__}")
    if not d.is_finite():
        raise ValueError(f"cannot round {x!r}")
    with localcontext() as ctx:
        ctx.prec = 60
        return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- inputs


def is_missing(v: object) -> bool:
    return v is None or (not isinstance(v, str) and bool(pd.isna(v)))


def whole_number(v: object, what: str, where: tuple) -> int | None:
    """A non-negative whole number, or None when missing; ValueError otherwise."""
    if is_missing(v):
        return None
    f = float(v)  # type: ignore[arg-type]
    if not f.is_integer() or f < 0:
        raise ValueError(f"{what} must be a whole number ≥ 0, got {v!r} for {where}")
    return int(f)


def _flag(v: object, what: str, where: tuple) -> bool:
    if is_missing(v) or isinstance(v, str) or v not in (True, False):
        raise ValueError(f"{what} must be true or false, got {v!r} for {where}")
    return bool(v)


def prepare_cells(cells: pd.DataFrame, period: str, ref: Reference) -> list[dict]:
    """Validate the warehouse cells and keep those of periods up to ``period``.

    The grid must be complete from its earliest period to ``period`` (methodology,
    "Breakdowns"): a missing, unknown or duplicated cell is an error.
    """
    parse_period(period)
    absent = [c for c in INPUT_COLUMNS if c not in cells.columns]
    if absent:
        raise ValueError(f"measure cells lack columns {absent}")
    rows = cells.loc[:, list(INPUT_COLUMNS)].to_dict("records")
    for r in rows:
        parse_period(r["period"])
    rows = [r for r in rows if r["period"] <= period]
    if not rows:
        raise ValueError(f"no measure cells for periods up to {period}")
    grid = ref.sort_key
    seen: set[tuple] = set()
    for r in rows:
        key = (r["period"], r["measure"], r["breakdown"], r["category"])
        if key[1:] not in grid:
            raise ValueError(f"cell {key} is not in the methodology's grid")
        if key in seen:
            raise ValueError(f"cell {key} appears more than once")
        seen.add(key)
    periods = month_range(min(r["period"] for r in rows), period)
    missing = [(p, *cell) for p in periods for cell in ref.grid if (p, *cell) not in seen]
    if missing:
        raise ValueError(
            f"the grid is incomplete: {len(missing)} cells missing up to {period}, "
            f"e.g. {missing[:3]}"
        )
    rows.sort(key=lambda r: (r["period"], grid[(r["measure"], r["breakdown"], r["category"])]))
    return rows


# --------------------------------------------------------------------------- steps 1-3, 5


def _primary(r: dict, unit: str) -> tuple[str, Number | None]:
    """(marker, number) of one cell before secondary suppression."""
    where = (r["period"], r["measure"], r["breakdown"], r["category"])
    if not _flag(r["source_available"], "source_available", where):
        return NOT_AVAILABLE, None
    if unit == "count":
        n = whole_number(r["value"], "a count", where)
        if n is None:
            raise ValueError(f"a count has no value although its source is there: {where}")
        return (CONFIDENTIAL, None) if 1 <= n <= 4 else ("", n)
    if unit == "rate":
        num = whole_number(r["numerator"], "a rate's numerator", where)
        den = whole_number(r["denominator"], "a rate's denominator", where)
        if num is None or den is None or num > den:
            raise ValueError(f"a rate needs 0 ≤ numerator ≤ denominator: {where}")
        if den == 0:
            if not is_missing(r["value"]):
                raise ValueError(f"a rate over a zero denominator has a value: {where}")
            return NOT_APPLICABLE, None
        with localcontext() as ctx:
            ctx.prec = 60
            exact = Decimal(100 * num) / Decimal(den)
        if is_missing(r["value"]) or abs(float(r["value"]) - float(exact)) > 1e-6:
            raise ValueError(
                f"a rate's value {r['value']!r} is not 100 × {num} ÷ {den}: {where}"
            )
        if 1 <= den <= 9 or 1 <= num <= 4 or 1 <= den - num <= 4:
            return CONFIDENTIAL, None
        return "", round_half_away(exact)
    # median
    n = whole_number(r["n_values"], "a median's n_values", where)
    if n is None:
        raise ValueError(f"a median needs n_values: {where}")
    if n == 0:
        if not is_missing(r["value"]):
            raise ValueError(f"a median over no values has a value: {where}")
        return NOT_APPLICABLE, None
    if is_missing(r["value"]):
        raise ValueError(f"a median over {n} values has no value: {where}")
    if n <= 4:
        return CONFIDENTIAL, None
    return "", round_half_away(r["value"])


# --------------------------------------------------------------------------- step 4


def _secondary(cells: list[list]) -> None:
    """Step 4, in place on ``[key, unit, marker, number]`` lists in publication order.

    Within one (period, measure, breakdown other than total) of a count whose total cell
    holds a value, if exactly one category is ``[c]`` after step 2, the smallest other
    non-zero category (ties: the first in the listed order) is also ``[c]``. One pass.
    """
    totals = {}
    groups: dict[tuple, list[list]] = {}
    for c in cells:
        (period, measure, breakdown, _), unit = c[0], c[1]
        if unit != "count":
            continue
        if breakdown == "total":
            totals[(period, measure)] = c
        else:
            groups.setdefault((period, measure, breakdown), []).append(c)
    for (period, measure, _), members in groups.items():
        if totals[(period, measure)][2]:  # the total holds a marker, not a value
            continue
        if sum(1 for c in members if c[2] == CONFIDENTIAL) != 1:
            continue
        candidates = [c for c in members if not c[2] and c[3] != 0]
        if candidates:  # members are in listed order and min() keeps the first of ties
            victim = min(candidates, key=lambda c: c[3])
            victim[2], victim[3] = CONFIDENTIAL, None


# --------------------------------------------------------------------------- all steps


def _written(number: Number | None, unit: str) -> str:
    if number is None:
        return ""
    return str(number) if unit == "count" else f"{number:.1f}"


def disclose(cells: pd.DataFrame, period: str, ref: Reference) -> list[PublishedCell]:
    """Every published cell up to ``period``, in publication order, without status flags."""
    rows = prepare_cells(cells, period, ref)
    work = []
    for r in rows:
        unit = ref.measure[r["measure"]].unit
        marker, number = _primary(r, unit)
        work.append([(r["period"], r["measure"], r["breakdown"], r["category"]), unit,
                     marker, number, r])
    _secondary(work)
    out = []
    for key, unit, marker, number, r in work:
        cohort = False
        if key[1] == "cohort_completion_rate":
            cohort = _flag(r["cohort_has_active"], "cohort_has_active", key)
        out.append(PublishedCell(*key, unit=unit, value=_written(number, unit), marker=marker,
                                 number=number, cohort_active=cohort))
    return out
