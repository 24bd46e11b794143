"""`checkpoint-warehouse status`: what is in force, what is late, what waits, what is next.

Everything is read from the analyst copy (``HOME/warehouse.duckdb``, opened read-only) and
the publication index, never from the build database: status never waits for a run, and a
run never waits for status. The open incidents are the alert step's own (late sources,
orphans overdue, contracts awaiting expungement), computed by the same functions.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from pipelines.calendar_uk import release_date
from pipelines.cli.common import EXIT_OK, Refusal, command_parser, console
from pipelines.contracts import SOURCES
from pipelines.dq import DeliveryStatus
from pipelines.months import add_months, month_range, previous_month
from pipelines.publication.periods import period_label
from pipelines.publication.text import long_date
from pipelines.release_calendar import next_release
from pipelines.settings import Home, connect

EXAMPLES = """\
  checkpoint-warehouse status --home demo/home
  checkpoint-warehouse status --home demo/home --landing demo/landing   # also files waiting
  checkpoint-warehouse status --home demo/home --json | jq '.sources.rms'
"""


@dataclass(frozen=True)
class SourceMonth:
    """One source's delivery for one month, as it stands."""
    source: str
    month: str
    in_force: str | None  # the accepted file, None if none
    version: int | None  # its version
    superseded: tuple[str, ...]  # earlier versions it replaced
    rejected: tuple[str, ...]  # files of the month rejected whole
    due: date  # the release date of the month's publication, which waits for it
    late: bool  # nothing in force and the due date has passed

    @property
    def state(self) -> str:
        if self.in_force:
            return "accepted"
        return "rejected" if self.rejected else "missing"


def source_months(deliveries: list[tuple], today: date) -> list[SourceMonth]:
    """Each (source, month) from the first month delivered to last month, from dq.deliveries
    rows ``(source, month, version, file_name, status)``. Late as the freshness alert
    judges it: nothing accepted and today after the fifth working day of the next month."""
    by_key: dict[tuple, list[tuple]] = defaultdict(list)
    for source, month, version, file_name, status in deliveries:
        if source in SOURCES and month:
            by_key[(source, month)].append((version or 1, file_name, status))
    if not by_key:
        return []
    months = month_range(min(m for _, m in by_key), max([m for _, m in by_key] + [previous_month(today)]))
    out = []
    for month in months:
        for source in SOURCES:
            files = sorted(by_key.get((source, month), []))
            accepted = [(v, f) for v, f, s in files if s == DeliveryStatus.ACCEPTED]
            in_force = max(accepted) if accepted else None
            due = release_date(month)
            out.append(SourceMonth(
                source, month, in_force[1] if in_force else None, in_force[0] if in_force else None,
                tuple(f for _, f, s in files if s == DeliveryStatus.SUPERSEDED),
                tuple(f for _, f, s in files if s == DeliveryStatus.REJECTED),
                due, in_force is None and today > due))
    return out


@dataclass
class Status:
    home: str
    today: str
    warehouse_updated: str | None
    months: list[SourceMonth]
    waiting_files: list[dict] | None  # None: no landing folder given
    orphans_waiting: dict[str, int]
    incidents: list[dict]
    latest_publication: dict | None
    overdue: list[dict]
    next_release: dict
    ignored_files: list[str] = field(default_factory=list)


def cell_text(sm: SourceMonth) -> str:
    """A source-month for people: ``v2`` (``v1`` superseded), ``rejected, LATE``, ``missing (due …)``."""
    if sm.in_force:
        text = f"v{sm.version}"
        notes = ([f"{len(sm.superseded)} superseded"] if sm.superseded else []) + \
                ([f"{len(sm.rejected)} rejected"] if sm.rejected else [])
        return text + (f" ({', '.join(notes)})" if notes else "")
    text = "rejected" if sm.rejected else "missing"
    return f"{text}, LATE" if sm.late else f"{text} (due {sm.due:%d %b})"


def overdue(months: list[SourceMonth], published: str | None, today: date) -> list[dict]:
    """Publications whose release date has passed with no bundle: each month after the
    latest published one (or from the first month delivered) up to the last release due,
    with the sources it still waits for (none: it can be published by a run now)."""
    if not months:
        return []
    last_due = add_months(next_release(today).period, -1)
    first = add_months(published, 1) if published else min(sm.month for sm in months)
    return [{"period": p, "release_date": release_date(p).isoformat(),
             "waiting_for": [sm.source for sm in months if sm.month == p and not sm.in_force]}
            for p in month_range(first, last_due)]


def latest_publication(home: Home) -> dict | None:
    """The bundle written last (publications/index.json is the write order)."""
    index = home.publications / "index.json"
    try:
        bundles = json.loads(index.read_text(encoding="utf-8"))["bundles"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise Refusal(f"{index} is unreadable ({type(error).__name__}): restore it from a backup") from None
    bundles = [b for b in bundles if (home.publications / b["folder"]).is_dir()]
    if not bundles:
        return None
    last = bundles[-1]
    return {"folder": str(home.publications / last["folder"]), "period": last["period"],
            "version": last["version"], "release_date": release_date(last["period"]).isoformat()}


def read_status(home: Home, landing: Path | None, today: date) -> Status:
    from pipelines.alerts.state import expungement_incidents, freshness_incidents, orphan_incidents

    if not home.warehouse_db.exists():
        raise Refusal(f"{home.warehouse_db} does not exist: no run has completed in this home yet; "
                      "run `checkpoint-warehouse run --landing DIR --home DIR` first")
    try:
        con = connect(home.warehouse_db, read_only=True)
    except duckdb.Error as error:
        raise Refusal(f"cannot open {home.warehouse_db}: {str(error).splitlines()[0]}") from None
    try:
        deliveries = con.execute(
            "SELECT source, month, version, file_name, status FROM dq.deliveries ORDER BY seen_order").fetchall()
        orphans = dict(con.execute(
            "SELECT source_table, count(*) FROM dq.orphan_references GROUP BY ALL ORDER BY 1").fetchall())
        incidents = freshness_incidents(con, today) + orphan_incidents(con, today) + expungement_incidents(con)
    except duckdb.CatalogException as error:
        raise Refusal(f"{home.warehouse_db} lacks a table status reads ({str(error).splitlines()[0]}): "
                      "a run of this version of the pipeline brings it up to date") from None
    finally:
        con.close()
    waiting = None
    if landing is not None:
        from pipelines.operations.planning import pending_files

        waiting = [{"file_name": f.file_name, "source": f.source, "month": f.month, "version": f.version}
                   for f in pending_files(landing, home)]
    upcoming = next_release(today)
    updated = datetime.fromtimestamp(home.warehouse_db.stat().st_mtime)
    months = source_months(deliveries, today)
    published = latest_publication(home)
    return Status(
        home=str(home.root), today=today.isoformat(), warehouse_updated=updated.isoformat(timespec="minutes"),
        months=months, waiting_files=waiting, orphans_waiting=orphans,
        incidents=[{k: getattr(i, k) for k in ("key", "severity", "kind", "title", "action")} for i in incidents],
        latest_publication=published,
        overdue=overdue(months, published["period"] if published else None, today),
        next_release={"period": upcoming.period, "release_date": upcoming.day.isoformat()},
        ignored_files=[f for s, _, _, f, st in deliveries if st == DeliveryStatus.IGNORED],
    )


def add_parser(commands) -> None:
    parser = command_parser(
        commands, "status",
        "what is in force for each source and month, what is late, files waiting, open incidents, "
        "the latest publication and the next release date (reads the analyst copy only: never waits for a run)",
        EXAMPLES)
    parser.add_argument("--home", required=True, help="the pipeline home")
    parser.add_argument("--landing", help="also list files in this landing folder that no run has taken yet")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    parser.set_defaults(handler=run_status)


def run_status(args) -> int:
    from pipelines.alerts.state import today

    home = Home(Path(args.home).resolve())
    landing = Path(args.landing).resolve() if args.landing else None
    if landing is not None and not landing.is_dir():
        raise Refusal(f"landing folder {landing} is missing or unreadable: give the folder the deliveries arrive in")
    status = read_status(home, landing, today())
    if args.json:
        print(json.dumps(status_json(status), indent=2))
    else:
        print_status(status)
    return EXIT_OK


def status_json(status: Status) -> dict:
    """The status for machines: each source's months as objects, dates as ISO text."""
    data = asdict(status)
    data["sources"] = {s: [{**asdict(sm), "due": sm.due.isoformat(), "state": sm.state}
                           for sm in status.months if sm.source == s] for s in SOURCES}
    del data["months"]
    return data


def print_status(status: Status) -> None:
    from rich.table import Table

    out = console()
    out.print(f"Checkpoint warehouse {status.home}, on {status.today} "
              f"(analyst copy of {status.warehouse_updated})", style="bold", markup=False)
    table = Table(title="In force by source and month", title_justify="left", show_edge=False)
    table.add_column("month")
    for source in SOURCES:
        table.add_column(source)
    cells = {(sm.source, sm.month): sm for sm in status.months}
    for month in sorted({sm.month for sm in status.months}):
        row = []
        for source in SOURCES:
            sm = cells[(source, month)]
            style = "red" if sm.late else ("yellow" if not sm.in_force else "")
            row.append(f"[{style}]{cell_text(sm)}[/]" if style else cell_text(sm))
        table.add_row(month, *row)
    out.print(table)
    for sm in status.months:
        for name in sm.superseded:
            out.print(f"  superseded: {name} (by {sm.in_force})", markup=False)
        for name in sm.rejected:
            out.print(f"  rejected: {name}", markup=False)
    if status.waiting_files is not None:
        names = [w["file_name"] for w in status.waiting_files]
        out.print(f"Waiting in the landing folder: {len(names)} file(s)" + (f": {', '.join(names)}" if names else ""),
                  markup=False)
    if status.orphans_waiting:
        out.print("Rows waiting for a key to arrive: " + ", ".join(f"{t} {n:,}" for t, n in status.orphans_waiting.items()),
                  markup=False)
    out.print(f"Open incidents: {len(status.incidents)}", style="bold")
    for incident in status.incidents:
        out.print(f"  [{incident['severity']}] {incident['title']}", markup=False)
    pub = status.latest_publication
    out.print("Latest publication: " + (f"{pub['period']} (version {pub['version']}, release date {pub['release_date']}) "
                                        f"{pub['folder']}" if pub else "none yet"), markup=False)
    for late in status.overdue:
        waiting = (f"waiting for {', '.join(late['waiting_for'])}" if late["waiting_for"]
                   else "every source is in: a run publishes it")
        out.print(f"Overdue: figures for {period_label(late['period'])}, due "
                  f"{long_date(date.fromisoformat(late['release_date']))} ({waiting})", style="red", markup=False)
    nxt = status.next_release
    ready = " (its bundle is written)" if pub and pub["period"] == nxt["period"] else ""
    out.print(f"Next release: {long_date(date.fromisoformat(nxt['release_date']))}, "
              f"figures for {period_label(nxt['period'])}{ready}", style="bold")

