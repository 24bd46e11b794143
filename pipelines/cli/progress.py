"""Following a run as it goes: its events read from the Dagster instance, shown as stage
lines (and bars on a terminal), and written to the run's event log.

The watcher reads structured events only: a step starting or ending, a materialisation
(each dbt model), and the ingest step's observation of each delivery it has taken.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

POLL_SECONDS = 0.25


@dataclass(frozen=True)
class Stage:
    name: str  # for people: ingest, models, alerts, analyst warehouse, publication
    step_key: str  # the Dagster step that is this stage
    total: int | None = None  # what its bar counts to: deliveries, models; None: no bar
    counts: str | None = None  # the event that moves its bar: "observation" (a delivery taken), "materialization"


class RunLog:
    """The run's event log file (owner-only), written line by line from two sources: the
    watcher's events and Python's log records. One lock keeps lines whole."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def __enter__(self) -> RunLog:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._file = open(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a", encoding="utf-8")
        return self

    def __exit__(self, *exc) -> None:
        with self._lock:
            self._file.close()

    def write(self, line: str) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.write(line.rstrip("\n") + "\n")
                self._file.flush()

    def stream(self, echo=None) -> io.TextIOBase:
        """A text stream whose lines go to the log (dbt's colours taken out), and to
        ``echo`` too if given: what dagster-dbt writes to standard output goes here."""
        return _LineStream(self, echo)

    def handler(self) -> logging.Handler:
        run_log = self

        class ToRunLog(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if record.name == "dagster.builtin":
                    return  # Dagster's own copy of a run event: the watcher writes the event itself
                try:
                    run_log.write(f"{datetime.fromtimestamp(record.created).isoformat(timespec='milliseconds')} "
                                  f"{record.levelname} python {record.name}: {record.getMessage()}")
                except Exception:  # noqa: BLE001 (logging must never fail the run)
                    self.handleError(record)

        return ToRunLog(level=logging.DEBUG)


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def without_ansi(text: str) -> str:
    return _ANSI.sub("", text)


class _LineStream(io.TextIOBase):
    def __init__(self, run_log: RunLog, echo):
        self.run_log, self.echo, self.pending = run_log, echo, ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.echo is not None:
            self.echo.write(text)
        *lines, self.pending = (self.pending + text).split("\n")
        for line in lines:
            self.run_log.write(f"{datetime.now().isoformat(timespec='milliseconds')} INFO stdout: {without_ansi(line)}")
        return len(text)

    def flush(self) -> None:
        if self.echo is not None:
            self.echo.flush()


class StageView:
    """Stage lines as plain text, or on a terminal with a live bar per running stage."""

    def __init__(self, out: Console, stages: list[Stage], bars: bool):
        self.out = out
        self.stages = {s.step_key: s for s in stages}
        self.progress = None
        self.tasks: dict[str, int] = {}
        if bars:
            self.progress = Progress(SpinnerColumn(), TextColumn("{task.description:<18}"), BarColumn(),
                                     MofNCompleteColumn(), TimeElapsedColumn(), console=out, transient=True)
            self.progress.start()

    def _line(self, text: str, when: float, style: str = "") -> None:
        stamp = datetime.fromtimestamp(when).strftime("%H:%M:%S")
        (self.progress.console if self.progress else self.out).print(f"{stamp}  {text}", markup=False, style=style)

    def started(self, step_key: str, when: float) -> None:
        stage = self.stages.get(step_key)
        if stage is None:
            return
        self._line(f"{stage.name}: started", when)
        if self.progress is not None:
            self.tasks[step_key] = self.progress.add_task(stage.name, total=stage.total or None)

    def advanced(self, step_key: str, counts: str) -> None:
        stage = self.stages.get(step_key)
        if self.progress is not None and step_key in self.tasks and stage.counts == counts:
            self.progress.advance(self.tasks[step_key])

    def ended(self, step_key: str, when: float, seconds: float, ok: bool) -> None:
        stage = self.stages.get(step_key)
        if stage is None:
            return
        if self.progress is not None and step_key in self.tasks:
            self.progress.remove_task(self.tasks.pop(step_key))
        self._line(f"{stage.name}: {'done' if ok else 'FAILED'} in {seconds:.1f} s", when, "green" if ok else "bold red")

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _describe(entry) -> str:
    event = entry.dagster_event
    kind = event.event_type_value if event is not None else "LOG"
    return (f"{datetime.fromtimestamp(entry.timestamp).isoformat(timespec='milliseconds')} "
            f"{logging.getLevelName(entry.level)} {entry.step_key or '-'} {kind}: {entry.message}")


def handle(entry, view: StageView, state: dict) -> None:
    """One event of the run: update the view and what the summary will need."""
    from dagster import DagsterEventType

    event = entry.dagster_event
    if event is None:
        return
    step_key, kind = entry.step_key, event.event_type
    started = state.setdefault("started", {})
    if kind == DagsterEventType.STEP_START:
        started[step_key] = entry.timestamp
        view.started(step_key, entry.timestamp)
    elif kind in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
        view.ended(step_key, entry.timestamp, entry.timestamp - started.get(step_key, entry.timestamp),
                   kind == DagsterEventType.STEP_SUCCESS)
    elif kind == DagsterEventType.ASSET_OBSERVATION:
        metadata = event.asset_observation_data.asset_observation.metadata
        if "seen_order" in metadata:  # the ingest step took a delivery
            state.setdefault("seen_orders", []).append(int(metadata["seen_order"].value))
            view.advanced(step_key, "observation")
    elif kind == DagsterEventType.ASSET_CHECK_EVALUATION:
        check = event.asset_check_evaluation_data
        state.setdefault("checks", []).append(
            (f"{check.asset_key.to_user_string()} {check.check_name}", check.passed, check.severity.value))
    elif kind == DagsterEventType.ASSET_MATERIALIZATION:
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key.path == ["publication"]:
            state["publication"] = {k: v.value for k, v in materialization.metadata.items()}
        view.advanced(step_key, "materialization")


def watch_run(instance, run_id: str, view: StageView, run_log: RunLog, stop: threading.Event, state: dict) -> None:
    """Follow ``run_id``'s events until ``stop`` is set and every event has been read. If the
    instance cannot be read (a full disk), the watcher stops and says so in ``state``: the run
    goes on without its live view, and its own outcome decides what is reported."""
    try:
        _follow(instance, run_id, view, run_log, stop, state)
    except Exception as error:  # noqa: BLE001 (a thread's traceback would break the one-line rule)
        state["watch_error"] = error
        with contextlib.suppress(Exception):
            run_log.write("".join(traceback.format_exception(error)))


def _follow(instance, run_id: str, view: StageView, run_log: RunLog, stop: threading.Event, state: dict) -> None:
    cursor = None
    while True:
        finishing = stop.is_set()
        while True:
            connection = instance.get_records_for_run(run_id, cursor=cursor, limit=500)
            for record in connection.records:
                entry = record.event_log_entry
                run_log.write(_describe(entry))
                handle(entry, view, state)
            cursor = connection.cursor
            if not connection.has_more:
                break
        if finishing:
            return
        time.sleep(POLL_SECONDS)
