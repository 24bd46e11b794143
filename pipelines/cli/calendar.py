"""`checkpoint-warehouse calendar`: the release dates of the next publications."""

from __future__ import annotations

import json

from pipelines.alerts.state import today
from pipelines.cli.common import EXIT_OK, Refusal, command_parser, console
from pipelines.publication.periods import period_label
from pipelines.release_calendar import release_calendar

EXAMPLES = """\
  checkpoint-warehouse calendar              # the next 12 release dates
  checkpoint-warehouse calendar --months 3 --json
  CHECKPOINT_TODAY=2026-12-15 checkpoint-warehouse calendar   # as seen on another day
"""


def add_parser(commands) -> None:
    parser = command_parser(
        commands, "calendar",
        "the release dates of the next monthly publications (the fifth working day of the month "
        "after each period, England and Wales bank holidays excluded)", EXAMPLES)
    parser.add_argument("--months", type=int, default=12, help="how many releases to list (default 12)")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    parser.set_defaults(handler=run_calendar)


def run_calendar(args) -> int:
    if not 1 <= args.months <= 120:
        raise Refusal(f"--months must be between 1 and 120, got {args.months}: e.g. --months 12")
    releases = release_calendar(today(), args.months)
    if args.json:
        print(json.dumps([{"period": r.period, "release_date": r.day.isoformat()} for r in releases], indent=2))
        return EXIT_OK
    out = console()
    out.print(f"Release calendar: the next {len(releases)} monthly publications", style="bold")
    for r in releases:
        out.print(f"  {r.day:%a %d %b %Y}  figures for {period_label(r.period)}")
    return EXIT_OK
