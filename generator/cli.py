"""Command-line entry for the generator: ``checkpoint-warehouse generate ...`` calls
``main_generate(args)`` with the arguments after ``generate``.

Why argparse in its own module: the main CLI only dispatches; the options and their checks
belong with the generator, and tests can call this without a subprocess.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from generator.dates import parse_month
from generator.settings import SCALES


def _month(text: str) -> str:
    try:
        parse_month(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _seed(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be a non-negative integer")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="checkpoint-warehouse generate",
        description="Write a synthetic landing folder (RMS, custody and programme extracts, "
                    "with the faults the source spec lists).")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="landing folder to write")
    p.add_argument("--start", default="2025-01", type=_month, metavar="YYYY-MM", help="first month (default 2025-01)")
    p.add_argument("--months", default=12, type=_positive, metavar="N", help="number of months (default 12)")
    p.add_argument("--scale", default="durham", choices=sorted(SCALES), help="durham (default) or national")
    p.add_argument("--seed", default=42, type=_seed, metavar="N", help="random seed (default 42)")
    p.add_argument("--clean", action="store_true", help="no faults: every row valid, no stray files")
    p.add_argument("--workers", type=_positive, default=None, metavar="N",
                   help="processes building workbooks (default: 2 at national scale, else 1)")
    p.add_argument("--json", action="store_true", help="print the full summary as JSON")
    return p


def main_generate(args: list[str]) -> int:
    """Parse ``args``, generate, print a short report; 0 on success, 2 on bad arguments."""
    from generator.landing import generate_landing

    try:
        ns = build_parser().parse_args(args)
    except SystemExit as exc:  # argparse exits on --help and on errors
        return int(exc.code or 0)
    summary = generate_landing(ns.out, start=ns.start, months=ns.months, scale=ns.scale,
                               seed=ns.seed, faults=not ns.clean, workers=ns.workers)
    if ns.json:
        json.dump(summary, sys.stdout, indent=2, default=str)
        print()
        return 0
    print(f"wrote {len(summary['files'])} files to {summary['out_dir']} "
          f"({summary['scale']}, {summary['start']} + {summary['months']} months, seed {summary['seed']})")
    for source, rows in summary["rows"].items():
        print(f"  {source}: {rows} rows")
    if summary["faults"]:
        print("  faults: " + ", ".join(f"{k}={v}" for k, v in summary["faults"].items()))
    return 0
