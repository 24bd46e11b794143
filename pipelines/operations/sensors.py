"""Sensors: start a run when a delivery lands, watch freshness, alert on a failed run."""


import hashlib

import dagster as dg

from pipelines.alerts.assets import alert_run, alert_run_failure
from pipelines.operations.jobs import RUN_JOB, checkpoint_publish, checkpoint_run, run_config_for
from pipelines.operations.planning import pending_files
from pipelines.settings import WriterBusy, home_from_env, landing_from_env


@dg.sensor(job=checkpoint_run, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.STOPPED,
           description="Starts ingest when files not seen by any completed run appear in the landing folder.")
def delivery_sensor(context: dg.SensorEvaluationContext):
    pending = pending_files(landing_from_env(), home_from_env())
    if not pending:
        return dg.SkipReason("no new file in the landing folder")
    # One run per distinct set of new files: a sensor tick that sees the same files again
    # while the run is queued asks for nothing new.
    fingerprint = hashlib.sha256("\n".join(f"{f.file_name}:{f.sha256}" for f in pending).encode()).hexdigest()
    return dg.RunRequest(run_key=fingerprint, run_config=run_config_for(None),
                         tags={"checkpoint/new_files": str(len(pending))})


@dg.sensor(minimum_interval_seconds=6 * 3600, default_status=dg.DefaultSensorStatus.STOPPED,
           description="Alerts admins to late deliveries, orphans still waiting and overdue expungements "
                       "(each incident once), between runs.")
def freshness_sensor(context: dg.SensorEvaluationContext):
    home = home_from_env()
    if not home.build_db.exists():
        return dg.SkipReason("nothing has been loaded yet")
    try:
        result = alert_run(home, run_id=None, lock_timeout_s=0)  # never hold up a sensor tick
    except WriterBusy:
        return dg.SkipReason("a run is writing the build database; the run raises its own alerts")
    return dg.SkipReason(f"{len(result.raised)} new alert(s) raised")


@dg.run_failure_sensor(monitored_jobs=[checkpoint_run, checkpoint_publish],
                       default_status=dg.DefaultSensorStatus.RUNNING,
                       description="Alerts admins once when a pipeline run fails.")
def run_failure_alert(context: dg.RunFailureSensorContext):
    message = (context.failure_event.message or "the run failed").splitlines()[0]
    alert_run_failure(home_from_env(), context.dagster_run.run_id, message)


__all__ = ["RUN_JOB", "delivery_sensor", "freshness_sensor", "run_failure_alert"]
