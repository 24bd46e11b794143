"""Periods as the publication names them; the arithmetic is ``pipelines.months``'."""

from __future__ import annotations

from pipelines.months import add_months, month_range, parse_period

__all__ = ["add_months", "month_range", "period_label", "short_label"]

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def period_label(period: str) -> str:
    """``'2026-10'`` -> ``'October 2026'``."""
    year, month = parse_period(period)
    return f"{_MONTHS[month - 1]} {year}"


def short_label(period: str) -> str:
    """``'2026-10'`` -> ``'Oct 2026'``."""
    year, month = parse_period(period)
    return f"{_MONTHS[month - 1][:3]} {year}"
