"""The published grid, read from the reference seeds (their single declaration).

``dbt_project/seeds/ref_measures.csv`` gives each measure's order, unit (count, rate or
median), source and definition; ``ref_breakdown_categories.csv`` gives the breakdowns and
their categories in order, and whether rates are published for a breakdown. The one rule
not in the seeds is the methodology's "``median_days_to_expungement`` is published for
``total`` only", which holds for every median measure here.

The spreadsheet's measure groups are a presentation choice of the publication and live in
``MEASURE_GROUPS``; :func:`reference` fails loudly if a measure of the seed has no group
(or a group names a measure the seed does not have), so a new measure cannot be left out
of the spreadsheet by accident.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

from pipelines.contracts import SOURCES
from pipelines.paths import SEEDS_DIR

UNITS = ("count", "rate", "median")

# Spreadsheet sheets, in order: (sheet / tab name, sheet title wording, measures).
MEASURE_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "Funnel",
        "arrests in scope, eligibility assessments and offers made in custody",
        ("arrests_in_scope", "assessed_eligible", "offers_made", "offers_accepted",
         "acceptance_rate"),
    ),
    (
        "Programme",
        "diversion contracts started, completed, failed and active",
        ("diversions_started", "contracts_completed", "contracts_failed", "completion_rate",
         "cohort_completion_rate", "active_contracts"),
    ),
    (
        "Expungement",
        "records expunged, time to expungement and contracts awaiting expungement",
        ("records_expunged", "median_days_to_expungement", "awaiting_expungement"),
    ),
)


@dataclass(frozen=True)
class Measure:
    name: str
    order: int
    unit: str  # count | rate | median
    source: str  # rms | custody | programme
    counted_when: str
    definition: str


@dataclass(frozen=True)
class Reference:
    measures: tuple[Measure, ...]  # in the methodology's order
    breakdowns: tuple[str, ...]  # in order, "total" first
    categories: dict[str, tuple[str, ...]]  # breakdown -> categories in order
    rate_breakdowns: frozenset[str]
    groups: tuple[tuple[str, str, tuple[str, ...]], ...]

    @functools.cached_property
    def measure(self) -> dict[str, Measure]:
        return {m.name: m for m in self.measures}

    def breakdowns_for(self, measure: str) -> tuple[str, ...]:
        unit = self.measure[measure].unit
        if unit == "count":
            return self.breakdowns
        if unit == "rate":
            return tuple(b for b in self.breakdowns if b in self.rate_breakdowns)
        return ("total",)

    @functools.cached_property
    def grid(self) -> tuple[tuple[str, str, str], ...]:
        """Every (measure, breakdown, category) of one period, in publication order."""
        return tuple(
            (m.name, b, c)
            for m in self.measures
            for b in self.breakdowns_for(m.name)
            for c in self.categories[b]
        )

    @functools.cached_property
    def sort_key(self) -> dict[tuple[str, str, str], int]:
        """(measure, breakdown, category) -> its position within a period."""
        return {cell: i for i, cell in enumerate(self.grid)}


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def load_reference(seeds_dir: Path = SEEDS_DIR) -> Reference:
    measures = tuple(
        sorted(
            (
                Measure(
                    name=r["measure"],
                    order=int(r["measure_order"]),
                    unit=r["unit"],
                    source=r["source"],
                    counted_when=r["counted_when"],
                    definition=r["definition"],
                )
                for r in _read(seeds_dir / "ref_measures.csv")
            ),
            key=lambda m: m.order,
        )
    )
    for m in measures:
        if m.unit not in UNITS or m.source not in SOURCES:
            raise ValueError(f"ref_measures.csv: unknown unit or source for {m.name}")
    rows = sorted(
        _read(seeds_dir / "ref_breakdown_categories.csv"),
        key=lambda r: (int(r["breakdown_order"]), int(r["category_order"])),
    )
    categories: dict[str, tuple[str, ...]] = {}
    rate_breakdowns: set[str] = set()
    for r in rows:
        categories[r["breakdown"]] = categories.get(r["breakdown"], ()) + (r["category"],)
        if r["published_for_rates"].strip().lower() == "true":
            rate_breakdowns.add(r["breakdown"])
    breakdowns = tuple(categories)
    if breakdowns[:1] != ("total",) or categories["total"] != ("all",):
        raise ValueError("ref_breakdown_categories.csv: 'total'/'all' must come first")
    grouped = [name for _, _, names in MEASURE_GROUPS for name in names]
    if sorted(grouped) != sorted(m.name for m in measures):
        raise ValueError(
            "publication MEASURE_GROUPS must name every measure of ref_measures.csv once"
        )
    return Reference(
        measures=measures,
        breakdowns=breakdowns,
        categories=categories,
        rate_breakdowns=frozenset(rate_breakdowns),
        groups=MEASURE_GROUPS,
    )


@functools.lru_cache(maxsize=1)
def reference() -> Reference:
    """The reference of this repository's seeds (read once)."""
    return load_reference()
