"""What every command shares: exit statuses, one-line refusals, the parser, the console."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

PROG = "checkpoint-warehouse"
EXIT_OK, EXIT_FAILED, EXIT_REJECTED = 0, 1, 2


class Refusal(Exception):
    """A command cannot do what was asked: the message is one line that says what to do."""


def fail(message: str) -> int:
    """Print a refusal or failure as one line on standard error; the exit status for it."""
    print(f"{PROG}: {' '.join(str(message).split())}", file=sys.stderr)
    return EXIT_FAILED


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the command's --help, and exit 1:
    exit 2 means a rejected delivery."""

    def error(self, message: str):
        print(f"{self.prog}: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(EXIT_FAILED)


def command_parser(commands, name: str, help_text: str, examples: str) -> argparse.ArgumentParser:
    """A sub-command whose --help ends with worked examples."""
    return commands.add_parser(
        name, help=help_text, description=help_text, epilog="examples:\n" + examples,
        formatter_class=argparse.RawDescriptionHelpFormatter)


def console(stderr: bool = False) -> Console:
    """The terminal, if there is one: colour and live bars only then (rich decides from
    isatty and the TERM, NO_COLOR and FORCE_COLOR conventions); plain lines otherwise.
    ``highlight`` off: rich would colour numbers and paths it guesses at."""
    # The stream as it is now: a run later redirects sys.stdout to its event log.
    return Console(file=sys.stderr if stderr else sys.stdout, highlight=False, soft_wrap=True)
