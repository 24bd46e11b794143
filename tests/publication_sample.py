"""Synthetic measure cells of the complete grid, for tests, benchmarks and demonstrations.

The figures are made up but consistent in the ways the publication relies on: the
categories of a count breakdown add up to its total, a rate's value is
``100 × numerator ÷ denominator``, a median has its ``n_values``. Small figures are common
enough to exercise every disclosure rule.
"""

from __future__ import annotations

import hashlib
import random

import pandas as pd

from pipelines.publication.periods import month_range
from pipelines.publication.reference import Reference, reference


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """``total`` split at random into ``parts`` non-negative whole numbers."""
    cuts = sorted(rng.randint(0, total) for _ in range(parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total])]


def sample_cells(first: str, last: str, seed: int = 0, ref: Reference | None = None,
                 scale: int = 40) -> pd.DataFrame:
    """Cells of every (period, measure, breakdown, category) from ``first`` to ``last``."""
    ref = ref or reference()
    rng = random.Random(seed)
    rows = []

    def row(period, measure, breakdown, category, value=None, numerator=None,
            denominator=None, n_values=None, active=False):
        rows.append({
            "period": period, "measure": measure, "breakdown": breakdown,
            "category": category, "value": value, "numerator": numerator,
            "denominator": denominator, "n_values": n_values, "source_available": True,
            "cohort_has_active": active,
        })

    periods = month_range(first, last)
    for period in periods:
        for m in ref.measures:
            breakdowns = ref.breakdowns_for(m.name)
            if m.unit == "count":
                total = rng.randint(scale // 2, scale * 2)
                row(period, m.name, "total", "all", float(total), total)
                for b in breakdowns[1:]:
                    cats = ref.categories[b]
                    for c, n in zip(cats, _split(rng, total, len(cats))):
                        row(period, m.name, b, c, float(n), n)
            elif m.unit == "rate":
                active = m.name == "cohort_completion_rate" and period in periods[-6:]
                den_total = rng.randint(scale // 2, scale * 2)
                num_total = rng.randint(den_total // 2, den_total)
                row(period, m.name, "total", "all", 100 * num_total / den_total, num_total,
                    den_total, active=active)
                for b in breakdowns[1:]:
                    cats = ref.categories[b]
                    for c, den in zip(cats, _split(rng, den_total, len(cats))):
                        num = rng.randint(den // 2, den) if den else 0
                        row(period, m.name, b, c, 100 * num / den if den else None, num, den,
                            active=active)
            else:
                n = rng.randint(0, scale // 4)
                row(period, m.name, "total", "all",
                    rng.randint(10, 400) / (1 if rng.random() < 0.5 else 2) if n else None,
                    n_values=n)
    return pd.DataFrame(rows)


def sample_deliveries(first: str, last: str) -> list[dict]:
    """An accepted delivery of every source for every month, as ``dq.deliveries`` rows."""
    out = []
    for period in month_range(first, last):
        ym = period.replace("-", "")
        for source, name in (("rms", f"rms/arrests_{ym}.csv"),
                             ("custody", f"custody/custody_{ym}.csv"),
                             ("programme", f"programme/checkpoint_programme_{ym}.xlsx")):
            digest = hashlib.sha256(name.encode()).hexdigest()
            out.append({
                "source": source, "month": period, "version": 1, "file_name": name,
                "sha256": digest, "status": "accepted", "rows_read": 100, "rows_loaded": 97,
                "rows_quarantined": 2, "rows_duplicate": 1, "reason": None,
            })
    return out


def with_cell(cells: pd.DataFrame, period: str, measure: str, breakdown: str = "total",
              category: str = "all", **columns) -> pd.DataFrame:
    """A copy of ``cells`` with one cell's columns set (``count=n``, ``rate=(num, den)``
    and ``median=(value, n)`` fill ``value`` and its companions consistently)."""
    if "count" in columns:
        n = columns.pop("count")
        columns.update(value=float(n), numerator=n)
    if "rate" in columns:
        num, den = columns.pop("rate")
        columns.update(value=100 * num / den if den else None, numerator=num, denominator=den)
    if "median" in columns:
        value, n = columns.pop("median")
        columns.update(value=value, n_values=n)
    out = cells.copy()
    where = ((out["period"] == period) & (out["measure"] == measure)
             & (out["breakdown"] == breakdown) & (out["category"] == category))
    if where.sum() != 1:
        raise KeyError((period, measure, breakdown, category))
    for name, v in columns.items():
        out[name] = out[name].astype(object)
        out.loc[where, name] = v
    return out
