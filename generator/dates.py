"""Vectorised calendar helpers on numpy datetime64 arrays.

Why: the generator works on whole columns at once (hundreds of thousands of rows at national
scale), so month arithmetic and formatting must not loop in Python. Times are naive local
(Europe/London) as the spec says; datetime64[s] for times, datetime64[D] for dates.
"""

from __future__ import annotations

import re

import numpy as np

SECOND = np.timedelta64(1, "s")
MINUTE = np.timedelta64(60, "s")
HOUR = np.timedelta64(3600, "s")
DAY = np.timedelta64(1, "D")


def parse_month(text: str) -> np.datetime64:
    """'YYYY-MM' -> datetime64[M]; rejects anything else so a typo fails loudly."""
    if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", text or ""):
        raise ValueError(f"month must be YYYY-MM, got {text!r}")
    return np.datetime64(text, "M")


def month_tag(month: np.datetime64) -> str:
    """datetime64[M] -> 'YYYYMM', as file names carry it."""
    return str(month).replace("-", "")


def month_start(month) -> np.ndarray:
    """First day (datetime64[D]) of each month."""
    return np.asarray(month, dtype="datetime64[M]").astype("datetime64[D]")


def month_end(month) -> np.ndarray:
    """Last day (datetime64[D]) of each month."""
    return (np.asarray(month, dtype="datetime64[M]") + 1).astype("datetime64[D]") - DAY


def days_in_month(month) -> np.ndarray:
    return (month_end(month) - month_start(month)).astype(int) + 1


def month_of(times) -> np.ndarray:
    """Calendar month (datetime64[M]) of dates or times; NaT stays NaT."""
    return np.asarray(times).astype("datetime64[M]")


def add_months_clamped(dates, n: int) -> np.ndarray:
    """date + n calendar months, clamped to the last day of a shorter month.

    This is the contract's planned_end_date rule (31 Oct + 4 months -> 28/29 Feb), the same
    as DuckDB's ``date + INTERVAL n MONTH``.
    """
    d = np.asarray(dates, dtype="datetime64[D]")
    m = d.astype("datetime64[M]")
    day = (d - m.astype("datetime64[D]")).astype(int)  # 0-based day of month
    target = m + n
    last = days_in_month(target) - 1
    return target.astype("datetime64[D]") + np.minimum(day, last).astype("timedelta64[D]")


def age_in_years(birth, on) -> np.ndarray:
    """Whole years from birth date to the date of ``on`` (the contract's age_at_arrest)."""
    b = np.asarray(birth, dtype="datetime64[D]")
    o = np.asarray(on).astype("datetime64[D]")
    by, oy = b.astype("datetime64[Y]"), o.astype("datetime64[Y]")
    years = (oy - by).astype(int)
    # day of year comparison on (month, day) rather than day count, so 29 Feb behaves
    bmd = (b.astype("datetime64[M]") - by.astype("datetime64[M]")).astype(int) * 100 + (
        b - b.astype("datetime64[M]").astype("datetime64[D]")).astype(int)
    omd = (o.astype("datetime64[M]") - oy.astype("datetime64[M]")).astype(int) * 100 + (
        o - o.astype("datetime64[M]").astype("datetime64[D]")).astype(int)
    return years - (omd < bmd)


def iso_seconds(times) -> np.ndarray:
    """'YYYY-MM-DDTHH:MM:SS' strings, '' for NaT (the RMS datetime format)."""
    out = np.datetime_as_string(np.asarray(times, dtype="datetime64[s]"), unit="s")
    return np.where(out == "NaT", "", out).astype(object)


def iso_date(dates) -> np.ndarray:
    """'YYYY-MM-DD' strings, '' for NaT (the RMS date format)."""
    out = np.datetime_as_string(np.asarray(dates).astype("datetime64[D]"), unit="D")
    return np.where(out == "NaT", "", out).astype(object)


def dmy_hm(times) -> np.ndarray:
    """'DD/MM/YYYY HH:MM' strings, '' for NaT (the custody datetime format)."""
    iso = np.datetime_as_string(np.asarray(times, dtype="datetime64[m]"), unit="m")
    s = iso.astype("U16")
    v = s.view("U1").reshape(len(s), 16) if len(s) else np.empty((0, 16), dtype="U1")
    # iso: YYYY-MM-DDTHH:MM  -> DD/MM/YYYY HH:MM
    order = [8, 9, 5, 6, 0, 1, 2, 3, 11, 12, 13, 14, 15]
    parts = v[:, order]
    sep = np.broadcast_to(np.array(["/", "/", " "], dtype="U1"), (len(s), 3))
    out = np.concatenate([parts[:, 0:2], sep[:, 0:1], parts[:, 2:4], sep[:, 1:2], parts[:, 4:8],
                          sep[:, 2:3], parts[:, 8:13]], axis=1)
    joined = np.ascontiguousarray(out).view("U16").ravel()
    return np.where(iso == "NaT", "", joined).astype(object)
