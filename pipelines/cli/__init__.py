"""`checkpoint-warehouse`: run the pipeline and see what it did; status, quarantine and the
release calendar for the people who use it every month.

`run` is not a second implementation: it executes the same job the UI and the schedules
run, in process, against a Dagster instance kept under HOME/state/dagster.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pipelines.cli import calendar, quarantine, run, status
from pipelines.cli.common import EXIT_FAILED, PROG, OneLineParser, Refusal, command_parser, fail
from pipelines.cli.failure import report_failure
from pipelines.settings import ConfigurationError, WriterBusy

EXAMPLES = """\
  checkpoint-warehouse run --landing /data/landing --home /data/checkpoint
  checkpoint-warehouse status --home /data/checkpoint --landing /data/landing
  checkpoint-warehouse quarantine --home /data/checkpoint --file rms/arrests_202610.csv
  checkpoint-warehouse calendar
  checkpoint-warehouse COMMAND --help     # each command's options and examples
"""
# The commands that write a home: a failure of theirs is alerted and its traceback kept there.
HOME_WRITERS = ("run", "rekey")

REKEY_EXAMPLES = """\
  CHECKPOINT_PSEUDONYM_KEY_FILE=old.key checkpoint-warehouse rekey --landing landing --home home --new-key-file new.key
"""
EXPECTATIONS_EXAMPLES = """\
  checkpoint-warehouse expectations && git diff expectations/
"""


def write_expectations(_) -> int:
    from pipelines.dq import write_dbt_source
    from pipelines.ingest.expectations import write_suites

    for name in write_suites():
        print(f"expectations/{name}")
    print(write_dbt_source())
    return 0


def main_rekey(args) -> int:
    from pipelines.keys import main_rekey as rekey

    return rekey(args)


def parser() -> OneLineParser:
    top = OneLineParser(prog=PROG, description=__doc__.split("\n\n")[0], epilog="examples:\n" + EXAMPLES,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = top.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    commands.add_parser("generate", help="write a synthetic landing folder (see generate --help)")
    run.add_parser(commands)
    status.add_parser(commands)
    quarantine.add_parser(commands)
    calendar.add_parser(commands)
    rekey = command_parser(commands, "rekey", "change the pseudonym key of a home (the current key set as for run)",
                           REKEY_EXAMPLES)
    for flag in ("--landing", "--home", "--new-key-file"):
        rekey.add_argument(flag, required=True)
    rekey.set_defaults(handler=main_rekey)
    suites = command_parser(commands, "expectations", "regenerate expectations/*.json from the contracts and "
                            "dbt's dq sources from pipelines/dq.py", EXPECTATIONS_EXAMPLES)
    suites.set_defaults(handler=write_expectations)
    return top


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["generate"]:
        from generator import main_generate

        return main_generate(argv[1:])
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except (ConfigurationError, Refusal, WriterBusy) as error:
        return fail(str(error))
    except BrokenPipeError:  # the reader went away (`| head`): nothing more to say to it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except KeyboardInterrupt:
        return fail("interrupted: run the same command again to finish")
    except Exception as error:  # noqa: BLE001 (a full disk, a read-only home, a defect: one line, an alert, the traceback kept)
        home = getattr(args, "home", None)
        return fail(report_failure(args.command, error, Path(home).resolve() if home else None,
                                   writes_home=args.command in HOME_WRITERS))


__all__ = ["EXIT_FAILED", "main"]
