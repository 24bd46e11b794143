"""dbt's Dagster definitions: every model, seed and test, and the dbt CLI resource."""

import dagster as dg

from pipelines.dbt.assets import checkpoint_dbt_models, dbt_resource

defs = dg.Definitions(assets=[checkpoint_dbt_models], resources={"dbt": dbt_resource()})
