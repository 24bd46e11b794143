"""The monthly publication schedule."""


import dagster as dg

from pipelines.months import previous_month
from pipelines.operations.jobs import checkpoint_run, run_config_for
from pipelines.settings import home_from_env
from pipelines.warehouse.queries import complete_months

__all__ = ["monthly_publication", "previous_month"]


@dg.schedule(job=checkpoint_run, cron_schedule="0 7 * * *", execution_timezone="Europe/London",
             default_status=dg.DefaultScheduleStatus.STOPPED,
             description="Each morning: publish the previous month once all three of its deliveries are "
                         "accepted (one run per month); until then wait — the freshness sensor alerts.")
def monthly_publication(context: dg.ScheduleEvaluationContext):
    period = previous_month(context.scheduled_execution_time.date())
    if period not in complete_months(home_from_env()):
        return dg.SkipReason(f"waiting for every source's delivery for {period}")
    return dg.RunRequest(run_key=f"publish-{period}", run_config=run_config_for(period))
