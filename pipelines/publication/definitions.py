"""The publication's Dagster definitions."""

import dagster as dg

from pipelines.publication.assets import publication

defs = dg.Definitions(assets=[publication])
