"""The operations' Dagster definitions: the jobs, the sensors and the schedule."""

import dagster as dg

from pipelines.operations.jobs import checkpoint_publish, checkpoint_run
from pipelines.operations.schedules import monthly_publication
from pipelines.operations.sensors import delivery_sensor, freshness_sensor, run_failure_alert

defs = dg.Definitions(
    jobs=[checkpoint_run, checkpoint_publish],
    sensors=[delivery_sensor, freshness_sensor, run_failure_alert],
    schedules=[monthly_publication],
)
