"""The release calendar: when each monthly publication is due (publication.md, "Release
date": the fifth working day of the month after the period, England and Wales holidays).

The Code of Practice for Statistics asks for release dates announced in advance; these
functions answer "when is the next release" and "the next twelve", from a given day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pipelines.calendar_uk import release_date
from pipelines.months import add_months, previous_month


@dataclass(frozen=True)
class Release:
    period: str  # 'YYYY-MM', the month the figures are for
    day: date  # its release date


def next_release(today: date) -> Release:
    """The first release on or after ``today``: last month's, unless its day has passed."""
    period = previous_month(today)
    if release_date(period) < today:
        period = add_months(period, 1)
    return Release(period, release_date(period))


def release_calendar(today: date, months: int) -> list[Release]:
    """The next ``months`` releases from ``today`` (the first is ``next_release``)."""
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    first = next_release(today).period
    return [Release(p, release_date(p)) for p in (add_months(first, n) for n in range(months))]
