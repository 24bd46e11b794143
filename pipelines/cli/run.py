"""`checkpoint-warehouse run`: the Dagster job, in process, followed as a report.

The job is the one the UI and the schedules run. While it runs, a watcher reads the run's
events from the Dagster instance (structured records, never log text) and shows one line
per stage as it starts and ends, with a bar over deliveries during ingest and over models
during dbt on a terminal; every event also goes to the run's event log under
``HOME/state/runs/``. At the end, a summary from ``dq.deliveries``, ``dq.alerts`` and the
publication step's metadata.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import threading
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

from pipelines.cli.common import EXIT_OK, EXIT_REJECTED, Refusal, command_parser, console, fail
from pipelines.cli.progress import RunLog, Stage, StageView, watch_run
from pipelines.cli.run_report import read_run_records, summary_lines
from pipelines.dq import DeliveryStatus
from pipelines.keys import check_key
from pipelines.months import parse_period
from pipelines.settings import Home, WriterBusy, exclusive_lock

EXAMPLES = """\
  export CHECKPOINT_PSEUDONYM_KEY_FILE=$HOME/secrets/pseudonym.key
  checkpoint-warehouse run --landing /data/landing --home /data/checkpoint
  checkpoint-warehouse run --landing /data/landing --home /data/checkpoint --publish 2026-10
  checkpoint-warehouse run --landing /data/landing --home /data/checkpoint --verbose   # Dagster's and dbt's logs too

exit status: 0 done; 2 done, but a delivery first seen in this run was rejected whole;
1 the run could not complete (one line on standard error says why and what to do)
"""

# One run at a time when the daemon launches them (schedules, sensors): every run writes the
# same build database. The in-process CLI run also takes the writer lock step by step.
DAGSTER_INSTANCE_CONFIG = """\
telemetry:
  enabled: false
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 1
"""


def add_parser(commands) -> None:
    parser = command_parser(commands, "run", "ingest new deliveries, build the models, alert, publish", EXAMPLES)
    parser.add_argument("--landing", required=True, help="the landing folder")
    parser.add_argument("--home", required=True, help="where the warehouse, publications and state live")
    parser.add_argument("--publish", metavar="YYYY-MM", help="publish this month (default: the latest complete month)")
    parser.add_argument("--verbose", action="store_true", help="also print Dagster's and dbt's own logs")
    parser.set_defaults(handler=run_command)


def prepare_environment(landing: Path, home: Path) -> None:
    """Point the shared definitions at this landing folder and home."""
    os.environ["CHECKPOINT_LANDING"] = str(landing)
    os.environ["CHECKPOINT_HOME"] = str(home)
    dagster_home = Path(os.environ.get("DAGSTER_HOME") or home / "state" / "dagster")
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_INSTANCE_CONFIG, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(dagster_home)


def check_arguments(args: argparse.Namespace) -> tuple[Path, Path]:
    """The landing folder and home, or a refusal saying what to do; nothing is created."""
    if args.publish is not None:
        try:
            parse_period(args.publish)
        except ValueError:
            raise Refusal(f"--publish takes a month as YYYY-MM (e.g. --publish 2026-10), got {args.publish!r}") from None
    home = Path(args.home).resolve()
    check_key(home)
    landing = Path(args.landing).resolve()
    if not landing.is_dir() or not os.access(landing, os.R_OK | os.X_OK):
        raise Refusal(f"landing folder {landing} is missing or unreadable: give --landing the folder the "
                      "deliveries arrive in")
    return landing, home


def event_log_path(home: Home, run_id: str, now: datetime) -> Path:
    return home.root / "state" / "runs" / f"{now:%Y%m%dT%H%M%SZ}-{run_id}.log"


# The event logs kept: every one of the last 400 days (a year of monthly runs, with the
# month before it, for an annual review), and the latest 24 whatever their age.
EVENT_LOG_DAYS, EVENT_LOGS_ALWAYS_KEPT = 400, 24


def prune_event_logs(folder: Path, now: float, days: int = EVENT_LOG_DAYS,
                     always_kept: int = EVENT_LOGS_ALWAYS_KEPT) -> list[Path]:
    """Remove the event logs (``*.log``) older than ``days`` beyond the latest ``always_kept``,
    by modification time; return those removed."""
    if not folder.is_dir():
        return []
    logs = sorted(folder.glob("*.log"), key=lambda path: path.stat().st_mtime, reverse=True)
    old = [path for path in logs[always_kept:] if now - path.stat().st_mtime > days * 86400]
    for path in old:
        path.unlink(missing_ok=True)
    return old


def run_command(args: argparse.Namespace) -> int:
    landing, root = check_arguments(args)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise Refusal(f"cannot create home {root}: {error.strerror}") from None
    home = Home(root)
    try:
        # Two `run`s of one home would queue on the writer lock step after step; the second
        # is refused at once instead. A run the daemon started shows as the writer lock held.
        with exclusive_lock(root / "state" / "cli-run.lock", timeout_s=0):
            with home.exclusive_writer(timeout_s=0):
                pass
            return _run(args, landing, home)
    except WriterBusy:
        raise Refusal(f"another run is using {root} now: wait for it to end (see `checkpoint-warehouse status "
                      f"--home {root}`), then run again") from None


def _run(args: argparse.Namespace, landing: Path, home: Home) -> int:
    prepare_environment(landing, home.root)
    out = console()
    if not args.verbose:
        warnings.simplefilter("ignore")  # Dagster's beta and deprecation notices: the event log keeps the run's story

    import dagster as dg  # after the environment is set: the definitions read it
    from dagster._core.utils import make_new_run_id

    from pipelines.alerts.assets import admin_alerts, alert_run_failure
    from pipelines.dbt.definitions import checkpoint_dbt_models
    from pipelines.definitions import defs
    from pipelines.ingest.definitions import landing_deliveries
    from pipelines.operations.jobs import PUBLISH_JOB, RUN_JOB, run_config_for
    from pipelines.operations.planning import pending_files
    from pipelines.publication.assets import publication
    from pipelines.warehouse.definitions import analyst_warehouse

    pending = pending_files(landing, home)
    full = not home.warehouse_db.exists() or bool(pending)
    # Nothing new in the landing folder: the models stand as they are, so only publish and alert.
    job = defs.resolve_job_def(RUN_JOB if full else PUBLISH_JOB)
    stages = [Stage("ingest", landing_deliveries.op.name, len(pending), "observation"),
              Stage("models", checkpoint_dbt_models.op.name, len(checkpoint_dbt_models.keys), "materialization"),
              Stage("alerts", admin_alerts.op.name), Stage("analyst warehouse", analyst_warehouse.op.name),
              Stage("publication", publication.op.name)]
    run_id = make_new_run_id()
    log_path = event_log_path(home, run_id, datetime.now(timezone.utc))
    prune_event_logs(log_path.parent, time.time())
    run_config = run_config_for(args.publish)
    # Dagster's console logger prints every event (DEBUG up): the event log file has them all.
    run_config["loggers"] = {"console": {"config": {"log_level": "DEBUG" if args.verbose else "CRITICAL"}}}
    out.print(f"Run {run_id} of {home.root}: " + (f"{len(pending)} new file(s) in {landing}" if full
                                                   else "nothing new in the landing folder, publishing only"),
              markup=False)
    with RunLog(log_path) as run_log, dg.DagsterInstance.get() as instance:
        _route_python_logs(run_log, args.verbose)
        view = StageView(out, stages, bars=out.is_terminal and not args.verbose)
        stop = threading.Event()
        watcher_state = {}
        watcher = threading.Thread(target=watch_run, args=(instance, run_id, view, run_log, stop, watcher_state),
                                   daemon=True)
        watcher.start()
        try:
            # dagster-dbt writes dbt's own log to standard output: into the event log it goes
            # (and to standard error with --verbose), so standard output is the report alone.
            with contextlib.redirect_stdout(run_log.stream(echo=sys.stderr if args.verbose else None)):
                result = job.execute_in_process(instance=instance, run_config=run_config, raise_on_error=False,
                                                run_id=run_id)
        finally:
            stop.set()
            watcher.join()
            view.close()
    seen = watcher_state.get("seen_orders", [])
    if not result.success:
        detail = failure_detail(next((e for e in result.all_events if e.is_step_failure), None))
        # No daemon watches an in-process run: raise the failed-run alert here.
        alert_run_failure(home, result.run_id, detail)
        out.print(f"Event log: {log_path}", markup=False)
        return fail(f"run {result.run_id} failed: {detail}; read {log_path}, fix the cause and run again "
                    "(deliveries already taken are not taken twice)")
    records = read_run_records(home, run_id, seen, watcher_state.get("publication"), watcher_state.get("checks", []))
    out.print()
    for line in summary_lines(records, home, log_path):
        out.print(line, markup=False)
    rejected = [d["file_name"] for d in records.deliveries if d["status"] == DeliveryStatus.REJECTED]
    if rejected:
        print(f"checkpoint-warehouse: delivery rejected: {', '.join(rejected)} (see dq.deliveries)", file=sys.stderr)
        return EXIT_REJECTED
    return EXIT_OK


def failure_detail(event) -> str:
    """What made a step fail, in one line: the step and its innermost error (the exception
    raised, not Dagster's wrapper), quoted values scrubbed as for alerts."""
    from pipelines.alerts.incident import scrub

    if event is None:
        return "the run did not succeed"
    error = event.step_failure_data.error
    while error is not None and error.cause is not None:
        error = error.cause
    text = (error.message.strip().splitlines() or [""])[0] if error is not None else event.message
    return f"step {event.step_key}: {scrub(text, limit=300) or 'no error message'}"


def _route_python_logs(run_log: RunLog, verbose: bool) -> None:
    """Every Python log record of the run (ours, Dagster's, dbt's) goes to the event log;
    to standard error as well only with --verbose."""
    root = logging.getLogger()
    root.handlers[:] = [run_log.handler()] + ([logging.StreamHandler(sys.stderr)] if verbose else [])
    root.setLevel(logging.INFO)
