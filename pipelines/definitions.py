"""The code location: each package declares its own definitions; this file only merges them
(the dagster-open-platform pattern).

The web UI (`dagster dev -w workspace.yaml`), the daemon's schedules and sensors, and
`checkpoint-warehouse run` all load these same definitions.
"""

import dagster as dg

import pipelines.alerts.definitions as alerts_definitions
import pipelines.dbt.definitions as dbt_definitions
import pipelines.ingest.definitions as ingest_definitions
import pipelines.operations.definitions as operations_definitions
import pipelines.publication.definitions as publication_definitions
import pipelines.warehouse.definitions as warehouse_definitions

defs = dg.Definitions.merge(
    ingest_definitions.defs,
    dbt_definitions.defs,
    alerts_definitions.defs,
    warehouse_definitions.defs,
    publication_definitions.defs,
    operations_definitions.defs,
)
