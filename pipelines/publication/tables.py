"""The bundle's CSV files: ``checkpoint_measures_P.csv`` and ``revisions_P.csv``.

UTF-8 without BOM, LF line ends, a header row, rows in publication order (period, then the
seeds' measure, breakdown and category order: the cells arrive sorted so).
"""

from __future__ import annotations

import csv
import io

from pipelines.publication.disclosure import PublishedCell
from pipelines.publication.status import Key

MEASURES_HEADER = ("period", "measure", "breakdown", "category", "value", "marker", "status")
REVISIONS_HEADER = (
    "period", "measure", "breakdown", "category", "previous_value", "new_value",
)


def measures_file_name(period: str) -> str:
    return f"checkpoint_measures_{period}.csv"


def revisions_file_name(period: str) -> str:
    return f"revisions_{period}.csv"


def _csv(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def measures_csv(cells: list[PublishedCell]) -> bytes:
    return _csv(MEASURES_HEADER, [(*c.key, c.value, c.marker, c.status) for c in cells])


def revisions_csv(revised: list[tuple[PublishedCell, str]]) -> bytes:
    return _csv(REVISIONS_HEADER, [(*c.key, old, c.shown) for c, old in revised])


def read_published(data: bytes) -> dict[Key, str]:
    """A measures file's cells -> their published value-or-marker."""
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    if tuple(next(reader, ())) != MEASURES_HEADER:
        raise ValueError("not a checkpoint measures file: unexpected header")
    out: dict[Key, str] = {}
    for row in reader:
        if len(row) != len(MEASURES_HEADER):
            raise ValueError(f"malformed row in measures file: {row!r}")
        period, measure, breakdown, category, value, marker, _ = row
        out[(period, measure, breakdown, category)] = value or marker
    return out
