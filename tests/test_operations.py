"""Sensors and the schedule, evaluated with Dagster's own contexts against real files."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg

from pipelines.ingest.load import ingest_landing
from pipelines.operations.jobs import PUBLISH_JOB, RUN_JOB
from pipelines.operations.planning import complete_months, pending_files
from pipelines.operations.schedules import monthly_publication, previous_month
from pipelines.operations.sensors import delivery_sensor, run_failure_alert
from pipelines.warehouse.publish import publish_warehouse
from tests.ingest_files import custody_row, rms_row, site, write_custody, write_rms  # noqa: F401 (site: a fixture)


def load_and_publish(landing, home):
    ingest_landing(landing, home.build_db, home.restricted_db, b"k")
    publish_warehouse(home.build_db, home.warehouse_db)


def test_delivery_sensor_requests_a_run_only_for_unseen_files(site):
    landing, home = site
    assert isinstance(delivery_sensor(dg.build_sensor_context()), dg.SkipReason)
    write_rms(landing / "rms/arrests_202610.csv", [rms_row()])
    request = delivery_sensor(dg.build_sensor_context())
    assert isinstance(request, dg.RunRequest) and request.tags["checkpoint/new_files"] == "1"
    load_and_publish(landing, home)
    assert pending_files(landing, home) == []
    assert isinstance(delivery_sensor(dg.build_sensor_context()), dg.SkipReason)


def test_schedule_publishes_the_previous_month_once_every_source_is_in(site):
    landing, home = site
    context = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 11, 9, 7, 0))
    assert previous_month(dt.date(2026, 1, 3)) == "2025-12"
    write_rms(landing / "rms/arrests_202610.csv", [rms_row()])
    write_custody(landing / "custody/custody_202610.csv", [custody_row()])
    load_and_publish(landing, home)
    assert complete_months(home) == []
    assert isinstance(monthly_publication(context), dg.SkipReason)  # the workbook is missing

    from openpyxl import Workbook
    book = Workbook()
    book.active.title = "Contracts"
    book.active.append(["contract_ref", "custody_ref", "start_date", "planned_end_date", "status",
                        "status_date", "failure_reason"])
    book.create_sheet("Sessions").append(["contract_ref", "session_date", "session_type", "attendance", "hours"])
    (landing / "programme").mkdir()
    book.save(landing / "programme/checkpoint_programme_202610.xlsx")
    load_and_publish(landing, home)
    assert complete_months(home) == ["2026-10"]
    request = monthly_publication(context)
    assert isinstance(request, dg.RunRequest)
    assert request.run_key == "publish-2026-10"
    assert request.run_config["ops"]["publication"]["config"]["period"] == "2026-10"


def test_run_failure_sensor_alerts_once_per_failed_run(site):
    _, home = site
    home.root.mkdir(parents=True)

    @dg.op
    def explode():
        raise RuntimeError("the build database is locked")

    @dg.job
    def doomed():
        explode()

    instance = dg.DagsterInstance.ephemeral()
    result = doomed.execute_in_process(instance=instance, raise_on_error=False)
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert", dagster_event=result.get_run_failure_event(),
        dagster_instance=instance, dagster_run=result.dagster_run).for_run_failure()
    run_failure_alert(context)
    run_failure_alert(context)  # the same failure seen again raises nothing new
    records = [json.loads(line) for line in home.alerts_log.read_text().splitlines()]
    assert [(r["kind"], r["severity"]) for r in records] == [("run_failed", "error")]
    assert result.run_id in records[0]["key"]


def test_jobs_sensors_and_schedule_are_defined():
    from pipelines.definitions import defs

    assert {RUN_JOB, PUBLISH_JOB} <= {job.name for job in defs.resolve_all_job_defs()}
    assert {s.name for s in defs.sensors} == {"delivery_sensor", "freshness_sensor", "run_failure_alert"}
    assert [s.name for s in defs.schedules] == ["monthly_publication"]
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw/rms_arrests", "dq/deliveries", "marts/monthly_measures", "analyst_warehouse", "publication",
            "dq/alerts"} <= keys


def test_freshness_sensor_alerts_late_sources_once_and_yields_to_a_writing_run(site, monkeypatch):
    from pipelines.operations.sensors import freshness_sensor

    landing, home = site
    monkeypatch.setenv("CHECKPOINT_TODAY", "2026-12-15")
    assert isinstance(freshness_sensor(dg.build_sensor_context()), dg.SkipReason)  # nothing loaded yet
    write_rms(landing / "rms/arrests_202610.csv", [rms_row()])
    load_and_publish(landing, home)
    with home.exclusive_writer():
        busy = freshness_sensor(dg.build_sensor_context())
    assert "writing" in busy.skip_message and not home.alerts_log.exists()
    freshness_sensor(dg.build_sensor_context())
    keys = {json.loads(line)["key"] for line in home.alerts_log.read_text().splitlines()}
    # RMS for November is late (due 2026-12-07); custody and the workbook never came at all.
    assert {"freshness:rms:2026-11", "freshness:custody:2026-10", "freshness:programme:2026-10"} <= keys
    freshness_sensor(dg.build_sensor_context())
    assert len(home.alerts_log.read_text().splitlines()) == len(keys)
