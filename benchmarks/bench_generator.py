"""Throughput of the synthetic landing generator (prints; asserts nothing).

Why: the generator must stay fast enough to build a national-scale year on a 2-core machine
(the warehouse's load tests depend on it). This prints rows written per second for the two
reference runs, and where the time goes (the workbooks dominate: openpyxl writes every cell
through its XML writer, about twice as fast when lxml is installed).

    .venv/bin/python benchmarks/bench_generator.py            # durham 12 months, national 1 month
    .venv/bin/python benchmarks/bench_generator.py --national-months 12
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator import generate_landing  # noqa: E402


def bench(label: str, **kwargs) -> None:
    with tempfile.TemporaryDirectory(prefix="bench_generator_") as tmp:
        wall = time.perf_counter()
        cpu = time.process_time()
        summary = generate_landing(Path(tmp), **kwargs)
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu
    rows = summary["rows"]
    total = sum(rows.values())
    size = sum(f["bytes"] for f in summary["files"])
    print(f"{label}: {total:,} rows in {wall:.1f} s wall ({cpu:.1f} s CPU in the main process) "
          f"= {total / wall:,.0f} rows/s; {len(summary['files'])} files, {size / 1e6:.1f} MB")
    for source, n in sorted(rows.items()):
        print(f"    {source:<10} {n:>10,} rows")


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--durham-months", type=int, default=12)
    p.add_argument("--national-months", type=int, default=1)
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args(argv)
    bench(f"durham {a.durham_months} months", months=a.durham_months, scale="durham", seed=a.seed)
    bench(f"national {a.national_months} month(s)", months=a.national_months, scale="national", seed=a.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
