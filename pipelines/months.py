"""Month arithmetic on ``'YYYY-MM'`` periods: the one place it is done.

A delivery's month, a publication's period, the month before a schedule's tick and the
month after a release are all ``'YYYY-MM'`` text; this module parses, steps and ranges them.
"""

from __future__ import annotations

import re
from datetime import date

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_period(period: str) -> tuple[int, int]:
    """``'YYYY-MM'`` -> (year, month); ValueError for anything else."""
    m = _PERIOD.match(period) if isinstance(period, str) else None
    if not m:
        raise ValueError(f"period must be 'YYYY-MM', got {period!r}")
    return int(m.group(1)), int(m.group(2))


def period_of(year: int, month: int) -> str:
    """(year, month) -> ``'YYYY-MM'``; month may run past 1..12 (13 is next January)."""
    year, m0 = divmod(year * 12 + month - 1, 12)
    return f"{year:04d}-{m0 + 1:02d}"


def add_months(period: str, n: int) -> str:
    year, month = parse_period(period)
    return period_of(year, month + n)


def month_of(day: date) -> str:
    """The period a date falls in."""
    return period_of(day.year, day.month)


def previous_month(day: date) -> str:
    """The period before the one ``day`` falls in."""
    return period_of(day.year, day.month - 1)


def month_range(first: str, last: str) -> list[str]:
    """Every period from ``first`` to ``last`` inclusive (empty if ``first`` is later)."""
    out, p = [], first
    parse_period(last)
    while p <= last:
        out.append(p)
        p = add_months(p, 1)
    return out
