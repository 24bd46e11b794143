"""Dagster wiring for alerts: the end-of-run digest and the run-failure alert."""


import datetime as dt
import os

import duckdb
import dagster as dg

from pipelines.alerts import (AlertConfig, DispatchResult, collect_delivery_incidents,
                              collect_state_incidents, dispatch, run_failed_incident)
from pipelines.settings import Home, home_from_env


def today(environ=os.environ) -> dt.date:
    """The date freshness is judged on; CHECKPOINT_TODAY (YYYY-MM-DD) pins it for tests and replays."""
    pinned = environ.get("CHECKPOINT_TODAY")
    return dt.date.fromisoformat(pinned) if pinned else dt.date.today()


def alert_run(home: Home, run_id: str | None, lock_timeout_s: float = 3600) -> DispatchResult:
    """One digest of every incident not alerted before: deliveries and the state of the data."""
    with home.exclusive_writer(timeout_s=lock_timeout_s):
        con = duckdb.connect(str(home.build_db))
        try:
            incidents = collect_delivery_incidents(con, None) + collect_state_incidents(con, today())
            return dispatch(incidents, AlertConfig.from_env(), home.root, con, run_id=run_id)
        finally:
            con.close()


def alert_run_failure(home: Home, run_id: str, message: str) -> DispatchResult:
    return dispatch([run_failed_incident(run_id, message)], AlertConfig.from_env(), home.root, run_id=run_id)


@dg.asset(
    key=["dq", "alerts"],
    deps=[dg.AssetKey(["marts", "monthly_measures"]), dg.AssetKey(["dq", "consistency_checks"]),
          dg.AssetKey(["dq", "orphan_references"])],
    group_name="operations",
    description="Alerts to data admins (email, webhook, HOME/alerts.jsonl, dq.alerts): one digest per run of "
                "every delivery or data problem not alerted before.",
)
def admin_alerts(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    result = alert_run(home_from_env(), context.run_id)
    return dg.MaterializeResult(metadata={
        "raised": len(result.raised),
        "already_alerted": len(result.already_alerted),
        "email": result.email.status,
        "webhook": result.webhook.status,
        "keys": dg.MetadataValue.json([i.key for i in result.raised]),
    })
