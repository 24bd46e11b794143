"""`checkpoint-warehouse quarantine`: the rows behind a quarantine alert, for data admins.

The one place raw rows are shown. Their text is read from the restricted store
(``HOME/restricted/quarantine.duckdb``, owner-only) and nowhere else; what failed is the
structured reason of ``dq.quarantine_reasons`` in the analyst copy, labelled as the alert
labels it, so the reasons listed here are the ones the alert counted. Nothing read here is
written anywhere but the caller's terminal or the ``--csv`` file they name.
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.cli.common import EXIT_OK, Refusal, command_parser, console
from pipelines.settings import Home, connect

EXAMPLES = """\
  checkpoint-warehouse quarantine --home demo/home
  checkpoint-warehouse quarantine --home demo/home --file rms/arrests_202610.csv
  checkpoint-warehouse quarantine --home demo/home --reason arrest_datetime --csv /secure/rows.csv
"""

Ident = tuple[str, str, str, int]  # (sha256, file_name, table_name, row_number)


@dataclass(frozen=True)
class QuarantinedRow:
    file_name: str
    table_name: str
    row_number: int
    reasons: tuple[str, ...]  # the alert's labels of what failed
    raw_text: str  # the row as delivered: may hold personal data


def reason_labels(reason_rows: list[tuple]) -> dict[Ident, tuple[str, ...]]:
    """Each row's reason labels, from dq.quarantine_reasons rows
    ``(sha256, file_name, table_name, row_number, kind, column_name, rule_name)``."""
    from pipelines.alerts.deliveries import reason_label

    labels: dict[Ident, list[str]] = defaultdict(list)
    for sha256, file_name, table_name, row_number, kind, column_name, rule_name in reason_rows:
        label = reason_label(kind, column_name, rule_name)
        if label not in labels[(sha256, file_name, table_name, row_number)]:
            labels[(sha256, file_name, table_name, row_number)].append(label)
    return {k: tuple(v) for k, v in labels.items()}


def quarantined_rows(raw_rows: list[tuple], labels: dict[Ident, tuple[str, ...]],
                     file_name: str | None = None, reason: str | None = None) -> list[QuarantinedRow]:
    """The restricted store's rows ``(sha256, file_name, table_name, row_number, reason,
    raw_text)`` with their labels (the store's own reason text when the analyst copy has
    none), kept when the file is ``file_name`` (its path, or its name alone) and a label or
    that text contains ``reason`` (any case); in file, table and row order."""
    out, seen = [], set()
    for sha256, name, table, row_number, stored_reason, raw_text in raw_rows:
        ident = (sha256, name, table, row_number)
        if ident in seen:
            continue
        seen.add(ident)
        if file_name and file_name not in (name, name.rsplit("/", 1)[-1]):
            continue
        row_labels = labels.get(ident) or tuple(filter(None, (stored_reason or "").split("; ")))
        if reason and not any(reason.casefold() in text.casefold() for text in (*row_labels, stored_reason or "")):
            continue
        out.append(QuarantinedRow(name, table, row_number, row_labels, raw_text or ""))
    return sorted(out, key=lambda r: (r.file_name, r.table_name, r.row_number))


def shown(text: str) -> str:
    """Raw text made safe for a terminal: control characters (a row may carry escape codes)
    written as escapes, so a row can neither move the cursor nor hide part of itself."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def read_restricted(home: Home) -> list[tuple]:
    store = home.restricted_db
    if not store.parent.exists() and not store.parent.parent.exists():
        raise Refusal(f"{home.root} is not a pipeline home (no {store.parent.name}/ folder): give the --home of `run`")
    if not os.access(store.parent, os.R_OK | os.X_OK) or (store.exists() and not os.access(store, os.R_OK)):
        raise Refusal(f"the restricted store {store} is not readable by you (it is owner-only, as it may hold "
                      "personal data): run this as the account the pipeline runs as")
    if not store.exists():
        return []  # nothing was ever quarantined in this home
    try:
        con = connect(store, read_only=True)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise Refusal(f"the restricted store {store} is being written by a running ingest: "
                          "try again when the run has finished") from None
        raise Refusal(f"cannot open the restricted store {store}: {str(error).splitlines()[0]}") from None
    try:
        return con.execute("SELECT sha256, file_name, table_name, row_number, reason, raw_text "
                           "FROM quarantined_raw").fetchall()
    except duckdb.CatalogException:
        return []
    finally:
        con.close()


def read_reasons(home: Home) -> list[tuple]:
    from pipelines.warehouse.queries import read_warehouse

    return read_warehouse(home, "SELECT sha256, file_name, table_name, row_number, kind, column_name, rule_name "
                                "FROM dq.quarantine_reasons")


def write_csv(rows: list[QuarantinedRow], path: Path) -> None:
    """The rows to ``path``, created owner-only: it holds what the restricted store holds."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode otherwise
    with open(fd, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name", "table_name", "row_number", "reasons", "raw_text"])
        writer.writerows([r.file_name, r.table_name, r.row_number, "; ".join(r.reasons), r.raw_text] for r in rows)


def add_parser(commands) -> None:
    parser = command_parser(
        commands, "quarantine",
        "for data admins: the quarantined rows, with their raw text and reasons, by delivery and reason, "
        "read from the restricted store (HOME/restricted/quarantine.duckdb) only", EXAMPLES)
    parser.add_argument("--home", required=True, help="the pipeline home")
    parser.add_argument("--file", metavar="NAME", help="only this delivery (its path in the landing folder, or its name)")
    parser.add_argument("--reason", metavar="TEXT", help="only rows with a reason containing TEXT (a column, a rule, a word)")
    parser.add_argument("--csv", metavar="OUT", help="also write the rows to this CSV file (created owner-only)")
    parser.set_defaults(handler=run_quarantine)


def run_quarantine(args) -> int:
    home = Home(Path(args.home).resolve())
    if not home.root.is_dir():
        raise Refusal(f"home {home.root} does not exist: give the --home of `run`")
    rows = quarantined_rows(read_restricted(home), reason_labels(read_reasons(home)), args.file, args.reason)
    if args.csv:
        try:
            write_csv(rows, Path(args.csv))
        except OSError as error:
            raise Refusal(f"cannot write {args.csv}: {error.strerror}: give a path in a folder you can write") from None
    print_rows(rows, args)
    return EXIT_OK


def print_rows(rows: list[QuarantinedRow], args) -> None:
    out = console()
    wanted = " ".join(filter(None, [f"file {args.file}" if args.file else "", f"reason ~ {args.reason!r}" if args.reason else ""]))
    if not rows:
        out.print(f"No quarantined rows{' for ' + wanted if wanted else ''}.", markup=False)
        return
    by_file: dict[str, list[QuarantinedRow]] = defaultdict(list)
    for row in rows:
        by_file[row.file_name].append(row)
    out.print(f"{len(rows):,} quarantined row(s) in {len(by_file)} delivery(ies)"
              f"{' for ' + wanted if wanted else ''} (raw text: may hold personal data)", style="bold", markup=False)
    for name, file_rows in by_file.items():
        out.print()
        out.print(f"{shown(name)}: {len(file_rows):,} row(s)", style="bold", markup=False)
        by_reason: dict[str, list[QuarantinedRow]] = defaultdict(list)
        for row in file_rows:
            by_reason["; ".join(row.reasons) or "no reason recorded"].append(row)
        for reason, reason_rows in sorted(by_reason.items(), key=lambda item: (-len(item[1]), item[0])):
            out.print(f"  {shown(reason)} ({len(reason_rows):,})", markup=False)
            for row in reason_rows:
                out.print(f"    {row.table_name} row {row.row_number}: {shown(row.raw_text.rstrip(chr(13) + chr(10)))}",
                          markup=False)
    if args.csv:
        out.print()
        out.print(f"Written to {args.csv} (owner-only).", markup=False)
