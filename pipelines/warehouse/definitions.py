"""The analyst warehouse's Dagster definitions."""

import dagster as dg

from pipelines.warehouse.assets import analyst_warehouse

defs = dg.Definitions(assets=[analyst_warehouse])
