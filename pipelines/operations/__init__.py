"""Jobs, schedules and sensors: how the pipeline runs itself month to month."""


import dagster as dg

RUN_JOB = "checkpoint_run"
PUBLISH_JOB = "checkpoint_publish"

checkpoint_run = dg.define_asset_job(
    RUN_JOB,
    selection=dg.AssetSelection.all(),
    description="Ingest every new delivery, build the models, alert, refresh the analyst warehouse and publish.",
)

# With nothing new in the landing folder the models are as they were: only publish and alert.
checkpoint_publish = dg.define_asset_job(
    PUBLISH_JOB,
    selection=dg.AssetSelection.assets(["dq", "alerts"], ["analyst_warehouse"], ["publication"]),
    description="Publish a month (and raise any alert due) from the models as they stand.",
)


def run_config_for(publish: str | None) -> dict:
    """Run config of either job: which month to publish (None: the latest complete month)."""
    return {"ops": {"publication": {"config": {"period": publish or ""}}}}


def operations_definitions() -> dg.Definitions:
    from pipelines.operations.sensors import delivery_sensor, freshness_sensor, run_failure_alert
    from pipelines.operations.schedules import monthly_publication

    return dg.Definitions(
        jobs=[checkpoint_run, checkpoint_publish],
        sensors=[delivery_sensor, freshness_sensor, run_failure_alert],
        schedules=[monthly_publication],
    )
