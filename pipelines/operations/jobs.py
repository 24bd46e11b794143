"""The two jobs: a full run, and a publish-only run when nothing new has landed."""

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
