"""Month arithmetic on ``'YYYY-MM'`` periods."""

from __future__ import annotations

from pipelines.calendar_uk import parse_period

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def add_months(period: str, n: int) -> str:
    year, month = parse_period(period)
    year, m0 = divmod(year * 12 + month - 1 + n, 12)
    return f"{year:04d}-{m0 + 1:02d}"


def month_range(first: str, last: str) -> list[str]:
    """Every period from ``first`` to ``last`` inclusive (empty if ``first`` is later)."""
    out, p = [], first
    parse_period(last)
    while p <= last:
        out.append(p)
        p = add_months(p, 1)
    return out


def period_label(period: str) -> str:
    """``'2026-10'`` -> ``'October 2026'``."""
    year, month = parse_period(period)
    return f"{_MONTHS[month - 1]} {year}"


def short_label(period: str) -> str:
    """``'2026-10'`` -> ``'Oct 2026'``."""
    year, month = parse_period(period)
    return f"{_MONTHS[month - 1][:3]} {year}"
