"""The code location: each module owns its definitions; this file only gathers them.

The web UI (`dagster dev -w workspace.yaml`), the daemon's schedules and sensors, and
`checkpoint-warehouse run` all load these same definitions.
"""

import dagster as dg

from pipelines.dbt.assets import checkpoint_dbt_models, dbt_resource
from pipelines.ingest.assets import landing_deliveries
from pipelines.warehouse.assets import analyst_warehouse
from pipelines.operations import operations_definitions

defs = dg.Definitions.merge(
    dg.Definitions(
        assets=[landing_deliveries, checkpoint_dbt_models, analyst_warehouse],
        resources={"dbt": dbt_resource()},
    ),
    operations_definitions(),
)
