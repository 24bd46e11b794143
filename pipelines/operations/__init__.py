"""Jobs, schedules and sensors: how the pipeline runs itself month to month."""

import dagster as dg

RUN_JOB = "checkpoint_run"

checkpoint_run = dg.define_asset_job(
    RUN_JOB,
    selection=dg.AssetSelection.all(),
    description="Ingest every new delivery, build the models, refresh the analyst warehouse, publish and alert.",
)


def operations_definitions() -> dg.Definitions:
    return dg.Definitions(jobs=[checkpoint_run])


def run_config_for(publish: str | None) -> dict:
    """Run config of the run job: which month to publish (None: the latest complete month)."""
    return {}
