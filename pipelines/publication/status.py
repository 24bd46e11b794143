"""Status flags (methodology, "Provisional and revised").

- ``[p]``: every cell of the latest period of the publication, and a
  ``cohort_completion_rate`` cell while its cohort still has an ACTIVE contract;
- ``[r]``: the published value or marker differs from the same cell (period, measure,
  breakdown, category) in the previous publication, the bundle written most recently before
  this one whatever its period. Only cells present in both can be revised; status flags are
  not compared.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from pipelines.publication.disclosure import PROVISIONAL, REVISED, PublishedCell

Key = tuple[str, str, str, str]


def apply_status(
    cells: list[PublishedCell], period: str, previous: Mapping[Key, str] | None
) -> list[PublishedCell]:
    """``cells`` with their status flags; ``previous`` maps each cell of the previous
    publication to its published value-or-marker (None when there is no previous one)."""
    out = []
    for c in cells:
        provisional = c.period == period or c.cohort_active
        old = None if previous is None else previous.get(c.key)
        revised = old is not None and old != c.shown
        status = (PROVISIONAL if provisional else "") + (REVISED if revised else "")
        out.append(dataclasses.replace(c, status=status))
    return out


def revisions(
    cells: list[PublishedCell], previous: Mapping[Key, str] | None
) -> list[tuple[PublishedCell, str]]:
    """Every revised cell with its previous published value-or-marker, in cell order."""
    if previous is None:
        return []
    return [(c, previous[c.key]) for c in cells if c.key in previous and previous[c.key] != c.shown]
