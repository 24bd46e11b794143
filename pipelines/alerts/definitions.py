"""Alerts' Dagster definitions: the end-of-run digest (the sensors are operations')."""

import dagster as dg

from pipelines.alerts.assets import admin_alerts

defs = dg.Definitions(assets=[admin_alerts])
