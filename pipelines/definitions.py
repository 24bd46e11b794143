"""The code location: each module owns its definitions; this file only gathers them.

The web UI (`dagster dev -w workspace.yaml`), the daemon's schedules and sensors, and
`checkpoint-warehouse run` all load these same definitions.
"""

import dagster as dg

from pipelines.alerts.assets import admin_alerts
from pipelines.dbt.assets import checkpoint_dbt_models, dbt_resource
from pipelines.ingest.assets import landing_deliveries
from pipelines.operations import operations_definitions
from pipelines.publication.assets import publication
from pipelines.warehouse.assets import analyst_warehouse

defs = dg.Definitions.merge(
    dg.Definitions(
        assets=[landing_deliveries, checkpoint_dbt_models, admin_alerts, analyst_warehouse, publication],
        resources={"dbt": dbt_resource()},
    ),
    operations_definitions(),
)
