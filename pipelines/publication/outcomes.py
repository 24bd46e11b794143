"""The outcomes file ``checkpoint_outcomes_P.csv`` (outcomes.md section 6), as pure functions.

Exact warehouse cells (``marts.outcome_measure_cells``) -> published cells:

- which cells: those outcomes.md defines when P is the period published (rolling rates and
  RRIs up to P, a cohort measure up to P − its follow-up months; the warehouse holds them
  for its own last month, which may be later than P);
- rounding half away from zero: counts as integers, rates and their bounds to one decimal,
  an RRI and its bounds to two. A rate is recomputed from its numerator and denominator
  (``100 × x ÷ n``) and an RRI from its four counts (``a·m ÷ (n·c)``) in exact arithmetic,
  the warehouse's value checked against them; the interval bounds are the warehouse's
  (computed once, in ``macros/confidence_intervals.sql``);
- disclosure control on the exact values: counts as methodology steps 2 and 4 (the
  secondary step is the measures file's own function), rates as step 3 plus ``[z]``, an
  RRI ``[z]`` when a, n, c or m is 0, else ``[c]`` when a, n − a, c or m − c is 1 to 4;
  ``[x]`` first; a cell with a marker has no value and no bounds;
- status: ``[p]`` on every rolling-rate and RRI cell of P, ``[r]`` when the value or marker
  differs from the same cell of the previous publication's outcomes file.

The measures, their order, unit and follow-up months are ``ref_outcome_measures.csv``.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from pathlib import Path

import pandas as pd

from pipelines.months import add_months, parse_period
from pipelines.paths import SEEDS_DIR
from pipelines.publication.disclosure import (
    CONFIDENTIAL,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    PROVISIONAL,
    REVISED,
    _secondary,
    is_missing,
    round_half_away,
    whole_number,
)

OUTCOMES_HEADER = ("period", "measure", "breakdown", "category", "value", "lower_95",
                   "upper_95", "marker", "status")
INPUT_COLUMNS = ("period", "measure", "breakdown", "category", "value", "lower_95", "upper_95",
                 "numerator", "denominator", "reference_numerator", "reference_denominator",
                 "source_available", "unit", "measure_order", "breakdown_order",
                 "category_order")
UNITS = ("count", "rate", "rri")
FAMILIES = ("rolling", "rri", "diverted", "declined")
PLACES = {"count": 0, "rate": 1, "rri": 2}

Key = tuple[str, str, str, str]


@dataclass(frozen=True)
class OutcomeMeasure:
    name: str
    order: int
    unit: str  # count | rate | rri
    family: str  # rolling | rri | diverted | declined
    follow_up_months: int
    definition: str

    @property
    def is_rolling(self) -> bool:
        """Sections 1 and 2: pooled over P−11 … P, provisional in the latest period."""
        return self.family in ("rolling", "rri")


@functools.lru_cache(maxsize=1)
def outcome_measures(seeds_dir: Path = SEEDS_DIR) -> tuple[OutcomeMeasure, ...]:
    """ref_outcome_measures.csv, in outcomes.md order."""
    with (seeds_dir / "ref_outcome_measures.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = tuple(sorted((
        OutcomeMeasure(r["measure"], int(r["measure_order"]), r["unit"], r["family"],
                       int(r["follow_up_months"]), r["definition"])
        for r in rows), key=lambda m: m.order))
    for m in out:
        if m.unit not in UNITS or m.family not in FAMILIES:
            raise ValueError(f"ref_outcome_measures.csv: unknown unit or family for {m.name}")
    return out


# Spreadsheet sheets of the outcome measures, in order: (tab name, title wording, families).
OUTCOME_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Rolling rates", "12-month rolling acceptance and completion rates with 95% confidence "
                      "intervals", ("rolling",)),
    ("Relative rate index", "relative rate index by ethnicity group, against White, at three "
                            "stages of the scheme, with 95% confidence intervals", ("rri",)),
    ("Reoffending", "re-arrest and reoffending within 12 and 24 months of the diverted and "
                    "declined cohorts, by cohort month, with 95% confidence intervals",
     ("diverted", "declined")),
)
if sorted(f for _, _, fs in OUTCOME_GROUPS for f in fs) != sorted(FAMILIES):
    raise ValueError("OUTCOME_GROUPS must name every outcome family once")

# What every place that shows these figures says about them (outcomes.md, first section).
OUTCOME_CAVEATS = (
    ("Police data", "Re-arrest and reoffending are counted from police records: a later arrest "
                    "is not a conviction, and an outcome of charge, caution or community "
                    "resolution is not a finding of guilt by a court. Only arrests recorded by "
                    "this force are seen."),
    ("No control group", "People who declined an offer are shown beside those diverted, but they "
                         "are not a controlled comparison group: they chose differently and may "
                         "differ in ways the data do not record, so the difference between the "
                         "two is not the effect of the scheme."),
    ("Confidence intervals", "Every rate has a 95% Wilson score interval; a relative rate index "
                             "has a 95% interval computed on the log scale. They show the "
                             "uncertainty from small numbers only, not from recording "
                             "practice."),
    ("Relative rate index", "The rate of the group divided by the rate of White people at the "
                            "same stage, over the same 12 months: 1 means the same rate; "
                            "above 1, a higher rate than White people. Not stated is left out. "
                            "Shown to two decimal places, with its interval."),
    ("Cohorts", "A cohort month appears once its whole follow-up has been delivered: 12 months "
                "after it for re-arrest within 12 months, 18 for reoffending within 12 months "
                "(a later arrest's outcome may take six months to be recorded), 24 and 30 for "
                "24 months."),
    ("Outcome status", "Rolling rates and relative rate indexes of the latest month are "
                       "provisional [p]; cohort figures are not. A figure is revised [r] when "
                       "it differs from the previous publication's outcomes file."),
)


@dataclass(frozen=True, slots=True)
class OutcomeCell:
    period: str
    measure: str
    breakdown: str
    category: str
    unit: str
    value: str  # as written ("31", "56.3", "1.25"), "" when there is a marker
    lower_95: str
    upper_95: str
    marker: str  # "", "[c]", "[z]" or "[x]"
    number: Decimal | int | None  # the published value, for the spreadsheet and bulletin
    family: str
    lower: Decimal | None
    upper: Decimal | None
    is_rolling: bool = False
    status: str = ""

    @property
    def key(self) -> Key:
        return (self.period, self.measure, self.breakdown, self.category)

    @property
    def shown(self) -> str:
        return self.value or self.marker


def outcomes_file_name(period: str) -> str:
    return f"checkpoint_outcomes_{period}.csv"


# --------------------------------------------------------------------------- inputs


def _defined_for(period: str, cell_period: str, measure: OutcomeMeasure) -> bool:
    """Whether outcomes.md defines this period of the measure when ``period`` is published."""
    return cell_period <= add_months(period, -measure.follow_up_months)


def prepare_outcome_cells(cells: pd.DataFrame | None, period: str) -> list[dict]:
    """Validated warehouse rows of the cells defined for ``period``, in publication order."""
    parse_period(period)
    if cells is None:
        return []
    absent = [c for c in INPUT_COLUMNS if c not in cells.columns]
    if absent:
        raise ValueError(f"outcome cells lack columns {absent}")
    measures = {m.name: m for m in outcome_measures()}
    rows = []
    seen: set[Key] = set()
    for r in cells.loc[:, list(INPUT_COLUMNS)].to_dict("records"):
        parse_period(r["period"])
        key = (r["period"], r["measure"], r["breakdown"], r["category"])
        measure = measures.get(r["measure"])
        if measure is None or measure.unit != r["unit"]:
            raise ValueError(f"outcome cell {key} is not a measure of ref_outcome_measures")
        if key in seen:
            raise ValueError(f"outcome cell {key} appears more than once")
        seen.add(key)
        if _defined_for(period, r["period"], measure):
            rows.append(r)
    rows.sort(key=lambda r: (int(r["measure_order"]), r["period"], int(r["breakdown_order"]),
                             int(r["category_order"])))
    return rows


# --------------------------------------------------------------------------- disclosure


def _exact_quotient(numerator: int, denominator: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        return Decimal(numerator) / Decimal(denominator)


def _check(value: object, exact: Decimal, where: tuple) -> None:
    if is_missing(value) or abs(float(value) - float(exact)) > 1e-6 * max(1.0, float(exact)):
        raise ValueError(f"an outcome cell's value {value!r} is not {exact}: {where}")


def _bounds(r: dict, places: int, where: tuple) -> tuple[Decimal, Decimal]:
    if is_missing(r["lower_95"]) or is_missing(r["upper_95"]):
        raise ValueError(f"an outcome cell with a value has no interval: {where}")
    return round_half_away(r["lower_95"], places), round_half_away(r["upper_95"], places)


def _primary(r: dict) -> tuple[str, Decimal | int | None, Decimal | None, Decimal | None]:
    """(marker, value, lower, upper) of one cell before secondary suppression."""
    where = (r["period"], r["measure"], r["breakdown"], r["category"])
    available = r["source_available"]
    if is_missing(available) or available not in (True, False):
        raise ValueError(f"source_available must be true or false: {where}")
    if not available:
        return NOT_AVAILABLE, None, None, None
    unit = r["unit"]
    if unit == "count":
        n = whole_number(r["value"], "a count", where)
        if n is None:
            raise ValueError(f"a count has no value although its source is there: {where}")
        return (CONFIDENTIAL, None, None, None) if 1 <= n <= 4 else ("", n, None, None)
    x = whole_number(r["numerator"], "a numerator", where)
    n = whole_number(r["denominator"], "a denominator", where)
    if x is None or n is None or x > n:
        raise ValueError(f"an outcome cell needs 0 ≤ numerator ≤ denominator: {where}")
    if unit == "rate":
        if n == 0:
            return NOT_APPLICABLE, None, None, None
        exact = _exact_quotient(100 * x, n)
        _check(r["value"], exact, where)
        if 1 <= n <= 9 or 1 <= x <= 4 or 1 <= n - x <= 4:
            return CONFIDENTIAL, None, None, None
        return ("", round_half_away(exact, 1), *_bounds(r, 1, where))
    c = whole_number(r["reference_numerator"], "a reference numerator", where)
    m = whole_number(r["reference_denominator"], "a reference denominator", where)
    if c is None or m is None or c > m:
        raise ValueError(f"an RRI needs 0 ≤ c ≤ m: {where}")
    if 0 in (x, n, c, m):
        return NOT_APPLICABLE, None, None, None
    exact = _exact_quotient(x * m, n * c)
    _check(r["value"], exact, where)
    if any(1 <= k <= 4 for k in (x, n - x, c, m - c)):
        return CONFIDENTIAL, None, None, None
    return ("", round_half_away(exact, 2), *_bounds(r, 2, where))


def _written(number: Decimal | int | None, unit: str) -> str:
    if number is None:
        return ""
    return str(number) if unit == "count" else f"{number:.{PLACES[unit]}f}"


def disclose_outcomes(cells: pd.DataFrame | None, period: str) -> list[OutcomeCell]:
    """Every published outcome cell for ``period``, in publication order, without status."""
    rows = prepare_outcome_cells(cells, period)
    work = []
    for r in rows:
        marker, number, lower, upper = _primary(r)
        work.append([(r["period"], r["measure"], r["breakdown"], r["category"]), r["unit"],
                     marker, number, (lower, upper, r)])
    _secondary(work)  # counts only; it reads [key, unit, marker, number]
    family = {m.name: m.family for m in outcome_measures()}
    rolling = {m.name for m in outcome_measures() if m.is_rolling}
    out = []
    for key, unit, marker, number, (lower, upper, r) in work:
        if marker:
            lower = upper = None
        out.append(OutcomeCell(
            *key, unit=unit, value=_written(number, unit), lower_95=_written(lower, unit),
            upper_95=_written(upper, unit), marker=marker, number=number, lower=lower,
            upper=upper, family=family[key[1]], is_rolling=key[1] in rolling))
    return out


# --------------------------------------------------------------------------- status, files


def apply_outcome_status(cells: list[OutcomeCell], period: str,
                         previous: Mapping[Key, str] | None) -> list[OutcomeCell]:
    """``[p]`` on every rolling and RRI cell of ``period``; ``[r]`` when the value or marker
    differs from the same cell of the previous outcomes file (None: no previous file)."""
    out = []
    for c in cells:
        old = None if previous is None else previous.get(c.key)
        status = ((PROVISIONAL if c.is_rolling and c.period == period else "")
                  + (REVISED if old is not None and old != c.shown else ""))
        out.append(dataclasses.replace(c, status=status))
    return out


def outcomes_csv(cells: list[OutcomeCell]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(OUTCOMES_HEADER)
    writer.writerows((*c.key, c.value, c.lower_95, c.upper_95, c.marker, c.status) for c in cells)
    return buf.getvalue().encode("utf-8")


def read_published_outcomes(data: bytes) -> dict[Key, str]:
    """An outcomes file's cells -> their published value-or-marker."""
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    if tuple(next(reader, ())) != OUTCOMES_HEADER:
        raise ValueError("not a checkpoint outcomes file: unexpected header")
    out: dict[Key, str] = {}
    for row in reader:
        if len(row) != len(OUTCOMES_HEADER):
            raise ValueError(f"malformed row in outcomes file: {row!r}")
        period, measure, breakdown, category, value, _, _, marker, _ = row
        out[(period, measure, breakdown, category)] = value or marker
    return out


__all__ = [
    "OUTCOME_CAVEATS", "OUTCOME_GROUPS", "OUTCOMES_HEADER", "OutcomeCell", "OutcomeMeasure", "apply_outcome_status",
    "disclose_outcomes", "outcome_measures", "outcomes_csv", "outcomes_file_name",
    "read_published_outcomes",
]
