"""England and Wales bank holidays, working days and the publication's release date.

Bank holidays are computed by rule, so no list has to be refreshed each year:

- New Year's Day, Christmas Day and Boxing Day, each moved to the next weekday that is not
  already a holiday when it falls at a weekend (a "substitute day");
- Good Friday and Easter Monday (Gregorian Easter);
- the early May bank holiday (first Monday of May), the spring bank holiday (last Monday of
  May) and the summer bank holiday (last Monday of August).

Departures from the rules proclaimed so far are listed in ``_MOVED`` (a rule day moved) and
``_EXTRA`` (a one-off day added). A departure proclaimed in future has to be added there:
that is the one thing no rule can know.

The rules above hold from 1978, the first year with an early May bank holiday; earlier years
are refused rather than answered wrongly.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

from pipelines.months import add_months, parse_period, period_of  # noqa: F401 (parse_period: kept importable here)

FIRST_YEAR = 1978

# (year, rule name) -> the day the holiday was moved to that year.
_MOVED: dict[tuple[int, str], date] = {
    (1995, "early_may"): date(1995, 5, 8),  # 50th anniversary of VE Day
    (2002, "spring"): date(2002, 6, 4),  # Golden Jubilee
    (2012, "spring"): date(2012, 6, 4),  # Diamond Jubilee
    (2020, "early_may"): date(2020, 5, 8),  # 75th anniversary of VE Day
    (2022, "spring"): date(2022, 6, 2),  # Platinum Jubilee
}

# One-off bank holidays added by proclamation.
_EXTRA: tuple[date, ...] = (
    date(1981, 7, 29),  # wedding of the Prince of Wales
    date(1999, 12, 31),  # millennium
    date(2002, 6, 3),  # Golden Jubilee
    date(2011, 4, 29),  # royal wedding
    date(2012, 6, 5),  # Diamond Jubilee
    date(2022, 6, 3),  # Platinum Jubilee
    date(2022, 9, 19),  # state funeral of Queen Elizabeth II
    date(2023, 5, 8),  # coronation of King Charles III
)



def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 (the algorithm's own name)
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _first_monday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    last = date(*parse_period(period_of(year, month + 1)), 1) - timedelta(days=1)
    return last - timedelta(days=last.weekday())


def _check_year(year: int) -> None:
    if not isinstance(year, int) or isinstance(year, bool):
        raise TypeError(f"year must be an int, not {year!r}")
    if year < FIRST_YEAR:
        raise ValueError(f"bank holidays are computed by rule from {FIRST_YEAR}; got {year}")


@functools.lru_cache(maxsize=None)
def bank_holidays(year: int) -> tuple[date, ...]:
    """Every England and Wales bank holiday of ``year``, in date order."""
    _check_year(year)
    easter = easter_sunday(year)
    days: set[date] = {
        easter - timedelta(days=2),  # Good Friday
        easter + timedelta(days=1),  # Easter Monday
        _MOVED.get((year, "early_may"), _first_monday(year, 5)),
        _MOVED.get((year, "spring"), _last_monday(year, 5)),
        _MOVED.get((year, "summer"), _last_monday(year, 8)),
    }
    # Fixed-date holidays: those on a weekday keep their day; those at a weekend take the
    # next weekday not already taken, in date order (Christmas on a Saturday gives Monday
    # 27th, Boxing Day on the Sunday then Tuesday 28th; Christmas on a Sunday gives Tuesday
    # 27th, Boxing Day keeping Monday 26th).
    fixed = [date(year, 1, 1), date(year, 12, 25), date(year, 12, 26)]
    days.update(d for d in fixed if d.weekday() < 5)
    for d in fixed:
        if d.weekday() >= 5:
            sub = d
            while sub.weekday() >= 5 or sub in days:
                sub += timedelta(days=1)
            days.add(sub)
    days.update(d for d in _EXTRA if d.year == year)
    return tuple(sorted(days))


def is_bank_holiday(d: date) -> bool:
    return d in bank_holidays(d.year)


def is_working_day(d: date) -> bool:
    """Monday to Friday and not an England and Wales bank holiday."""
    return d.weekday() < 5 and not is_bank_holiday(d)


def nth_working_day(year: int, month: int, n: int) -> date:
    """The ``n``-th working day (1-based) of the month; ValueError if the month has fewer."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1 to 12, got {month}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    d = date(year, month, 1)
    seen = 0
    while d.month == month:
        if is_working_day(d):
            seen += 1
            if seen == n:
                return d
        d += timedelta(days=1)
    raise ValueError(f"{year}-{month:02d} has only {seen} working days, not {n}")


def release_date(period: str) -> date:
    """Release date of the publication for month ``period``: the fifth working day of the
    month after it."""
    year, month = parse_period(add_months(period, 1))
    return nth_working_day(year, month, 5)
