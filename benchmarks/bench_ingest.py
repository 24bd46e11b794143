"""Ingest throughput, and what the GX gate costs beside our own validator (prints only).

    .venv/bin/python benchmarks/bench_ingest.py                 # durham, 6 months
    .venv/bin/python benchmarks/bench_ingest.py --scale national --months 1

Prints rows per second for the whole ingest (read, validate, gate, load) and, for the
largest RMS delivery, the time of the contract-driven validator against the GX gate on
the same rows, as a ratio.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.contracts import load_contract  # noqa: E402
from generator import generate_landing  # noqa: E402
from pipelines.ingest import expectations  # noqa: E402
from pipelines.ingest.load import ingest_landing  # noqa: E402
from pipelines.ingest.readers import read_delivery  # noqa: E402
from pipelines.ingest.validate import validate_sheet  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="durham")
    parser.add_argument("--months", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        landing, home = Path(tmp) / "landing", Path(tmp) / "home"
        summary = generate_landing(landing, start="2025-01", months=args.months, scale=args.scale, seed=1)
        rows = sum(summary["rows"].values())
        expectations.validate_with_gx(  # pay GX's import once, outside the timing
            expectations.suite_definition("rms", load_contract("rms").tables[0]), _tiny_frame())
        started = time.perf_counter()
        report = ingest_landing(landing, home / "build.duckdb", home / "restricted.duckdb", b"bench")
        elapsed = time.perf_counter() - started
        print(f"ingest {args.scale} x {args.months} months: {rows:,} rows, {len(report.results)} files "
              f"in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s")

        contract = load_contract("rms")
        biggest = max((landing / "rms").glob("arrests_*.csv"), key=lambda p: p.stat().st_size)
        sheet = read_delivery(biggest.read_bytes(), contract)[0]
        started = time.perf_counter()
        outcome = validate_sheet(sheet, contract.tables[0], "2025-01", b"bench")
        ours = time.perf_counter() - started
        suite = expectations.suite_definition("rms", contract.tables[0])
        started = time.perf_counter()
        expectations.validate_with_gx(suite, expectations.gate_frame(contract.tables[0], outcome.to_load))
        gate = time.perf_counter() - started
        print(f"{biggest.name}: {sheet.rows.__len__():,} rows; validator {ours:.2f} s, GX gate {gate:.2f} s, "
              f"gate/validator = {gate / ours:.2f}")


def _tiny_frame():
    import pandas as pd
    return pd.DataFrame({c.name: [] for c in load_contract("rms").tables[0].columns if not c.pii})


if __name__ == "__main__":
    main()
