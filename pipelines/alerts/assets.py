"""Dagster wiring for alerts: the end-of-run digest (the logic is in ``dispatch``)."""


import dagster as dg

from pipelines.alerts.dispatch import alert_run, alert_run_failure
from pipelines.settings import home_from_env

__all__ = ["admin_alerts", "alert_run", "alert_run_failure"]  # the sensors and the CLI use these two


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
