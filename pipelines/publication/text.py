"""Wording shared by the spreadsheet and the bulletin."""

from __future__ import annotations

from datetime import date

from pipelines.publication.periods import period_label
from pipelines.publication.reference import Reference

PUBLICATION_TITLE = "Checkpoint deferred prosecution scheme: monthly statistics"
# No contact is declared anywhere in the contracts; this names the team that the
# architecture says reads the bundles.
CONTACT = "Checkpoint statistics team"

UNIT_LABELS = {"count": "count", "rate": "percentage", "median": "days (median)"}

MARKER_NOTES = (
    ("[c]", "Confidential: withheld to protect confidentiality (a count of 1 to 4, a rate "
            "from which such a count could be worked back, a median over 1 to 4 values, or a "
            "second figure withheld so that the first cannot be worked out from the total)."),
    ("[z]", "Not applicable: a rate whose denominator is 0, or a median over no values."),
    ("[x]", "Not available: the source extract for that month has not been received or was "
            "rejected."),
    ("[p]", "Provisional: every figure for the latest month, and a cohort completion rate "
            "while any contract of its cohort is still active. Provisional figures may be "
            "revised."),
    ("[r]", "Revised: the figure differs from the one in the previous publication."),
    ("Rounding", "Counts are whole numbers. Rates are percentages and medians are days, "
                 "both rounded half away from zero to one decimal place."),
)

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _names(items) -> str:
    items = [i.replace("_", " ") for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def breakdown_note(ref: Reference) -> str:
    """Which breakdowns each kind of measure is published for, from the reference."""
    parts = []
    for unit, what in (("count", "Counts"), ("rate", "Rates"), ("median", "Medians")):
        measures = [m.name for m in ref.measures if m.unit == unit]
        if measures:
            by = [b for b in ref.breakdowns_for(measures[0]) if b != "total"]
            where = f" and by {_names(by)}" if by else " only"
            parts.append(f"{what} are published in total{where}")
    return ". ".join(parts) + "."


def long_date(d: date) -> str:
    """``date(2026, 11, 6)`` -> ``'Friday 6 November 2026'``."""
    return f"{_WEEKDAYS[d.weekday()]} {d.day} {period_label(f'{d.year:04d}-{d.month:02d}')}"


def status_text(period: str, version: int) -> str:
    again = "" if version == 1 else (
        f" It replaces the earlier version of the {period_label(period)} publication."
    )
    return (f"Version {version}.{again} Figures for {period_label(period)} are provisional "
            "[p] and may be revised in later publications; figures changed since the "
            "previous publication are marked revised [r].")
