"""`checkpoint-warehouse`: generate synthetic extracts, or run the Dagster definitions.

`run` is not a second implementation: it executes the same job the UI and the schedules
run, in process, against a Dagster instance kept under HOME/state/dagster.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pipelines.keys import check_key, main_rekey
from pipelines.settings import ConfigurationError

EXIT_OK, EXIT_FAILED, EXIT_REJECTED = 0, 1, 2

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


def _fail(message: str) -> int:
    print(f"checkpoint-warehouse: {message}", file=sys.stderr)
    return EXIT_FAILED


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


def rejected_in_run(result) -> list[str]:
    """File names rejected whole by the ingest step of this run (from its materialisation)."""
    rejected: list[str] = []
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key.path == ["dq", "deliveries"]:
            value = materialization.metadata.get("rejected_files")
            rejected += list(value.value) if value is not None else []
    return rejected


def run(args: argparse.Namespace) -> int:
    try:
        check_key(Path(args.home).resolve())
    except ConfigurationError as error:
        return _fail(str(error))
    landing = Path(args.landing).resolve()
    if not landing.is_dir() or not os.access(landing, os.R_OK | os.X_OK):
        return _fail(f"landing folder {landing} is missing or unreadable")
    home = Path(args.home).resolve()
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return _fail(f"cannot create home {home}: {error.strerror}")
    prepare_environment(landing, home)

    import dagster as dg  # after the environment is set: the definitions read it

    from pipelines.alerts.assets import alert_run_failure
    from pipelines.definitions import defs
    from pipelines.operations.jobs import PUBLISH_JOB, RUN_JOB, run_config_for
    from pipelines.operations.planning import needs_full_run
    from pipelines.settings import Home

    # Nothing new in the landing folder: the models stand as they are, so only publish and alert.
    job = defs.resolve_job_def(RUN_JOB if needs_full_run(landing, Home(home)) else PUBLISH_JOB)
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance, run_config=run_config_for(args.publish), raise_on_error=False)
    if not result.success:
        failure = next((e for e in result.all_events if e.is_failure), None)
        detail = (failure.message if failure is not None else "the run did not succeed").splitlines()[0]
        # No daemon watches an in-process run: raise the failed-run alert here.
        alert_run_failure(Home(home), result.run_id, detail)
        return _fail(f"run {result.run_id} failed: {detail}")
    rejected = rejected_in_run(result)
    if rejected:
        print(f"checkpoint-warehouse: delivery rejected: {', '.join(rejected)} (see dq.deliveries)", file=sys.stderr)
        return EXIT_REJECTED
    return EXIT_OK


def write_expectations(_: argparse.Namespace) -> int:
    from pipelines.dq import write_dbt_source
    from pipelines.ingest.expectations import write_suites

    for name in write_suites():
        print(f"expectations/{name}")
    print(write_dbt_source())
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["generate"]:
        from generator import main_generate

        return main_generate(argv[1:])
    parser = argparse.ArgumentParser(prog="checkpoint-warehouse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("generate", help="write a synthetic landing folder (see generate --help)")
    run_parser = commands.add_parser("run", help="ingest new deliveries, build the models, publish")
    run_parser.add_argument("--landing", required=True, help="the landing folder")
    run_parser.add_argument("--home", required=True, help="where the warehouse, publications and state live")
    run_parser.add_argument("--publish", metavar="YYYY-MM", help="publish this month (default: the latest complete month)")
    run_parser.set_defaults(handler=run)
    rekey = commands.add_parser("rekey", help="change the pseudonym key of a home (the current key as for run)")
    for flag in ("--landing", "--home", "--new-key-file"):
        rekey.add_argument(flag, required=True)
    rekey.set_defaults(handler=main_rekey)
    suites = commands.add_parser("expectations", help="regenerate expectations/*.json from the contracts and dbt's dq sources from pipelines/dq.py")
    suites.set_defaults(handler=write_expectations)
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except ConfigurationError as error:
        return _fail(str(error))


if __name__ == "__main__":
    sys.exit(main())
