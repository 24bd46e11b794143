"""Time the publication bundle on synthetic cells of the complete grid.

    .venv/bin/python benchmarks/bench_publication.py [--months 36] [--repeat 3]

Prints the time of each file of the bundle and of ``write_bundle`` (first write, then an
idempotent rerun, which rebuilds the bundle to compare bytes).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo: for tests.publication_sample

from pipelines.calendar_uk import release_date
from pipelines.publication.bulletin import bulletin_bytes
from pipelines.publication.disclosure import disclose
from pipelines.publication.manifest import accepted_deliveries
from pipelines.publication.periods import add_months
from pipelines.publication.reference import reference
from tests.publication_sample import sample_cells, sample_deliveries
from pipelines.publication.spreadsheet import workbook_bytes
from pipelines.publication.status import apply_status
from pipelines.publication.tables import measures_csv
from pipelines.publication import write_bundle


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    period = "2026-10"
    first = add_months(period, 1 - args.months)
    ref = reference()
    cells = sample_cells(first, period)
    deliveries = sample_deliveries(first, period)
    accepted = accepted_deliveries(deliveries)
    published = apply_status(disclose(cells, period, ref), period, None)
    release = release_date(period)
    print(f"{args.months} months, {len(cells):,} cells")
    steps = {
        "disclose": lambda: disclose(cells, period, ref),
        "csv": lambda: measures_csv(published),
        "xlsx": lambda: workbook_bytes(published, ref, period, release, 1, "bench"),
        "html": lambda: bulletin_bytes(published, ref, period, release, 1, "bench", accepted,
                                       deliveries, {}),
    }
    for name, fn in steps.items():
        print(f"{name:>10}: {best(fn, args.repeat):7.3f} s")
    with tempfile.TemporaryDirectory() as tmp:
        for label in ("write", "rerun"):
            t = time.perf_counter()
            result = write_bundle(Path(tmp), period, cells, deliveries, {}, "bench")
            print(f"{label:>10}: {time.perf_counter() - t:7.3f} s (created={result.created})")


if __name__ == "__main__":
    main()
