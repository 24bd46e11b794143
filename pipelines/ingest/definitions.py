"""Ingest's Dagster definitions: the landing multi-asset (raw.* and dq.*) and its checks."""

import dagster as dg

from pipelines.ingest.assets import landing_deliveries

defs = dg.Definitions(assets=[landing_deliveries])
