"""The monthly publication schedule."""


import datetime as dt

import dagster as dg

from pipelines.operations import checkpoint_run, run_config_for
from pipelines.operations.planning import complete_months
from pipelines.settings import home_from_env


def previous_month(day: dt.date) -> str:
    first = day.replace(day=1) - dt.timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


@dg.schedule(job=checkpoint_run, cron_schedule="0 7 * * *", execution_timezone="Europe/London",
             default_status=dg.DefaultScheduleStatus.STOPPED,
             description="Each morning: publish the previous month once all three of its deliveries are "
                         "accepted (one run per month); until then wait — the freshness sensor alerts.")
def monthly_publication(context: dg.ScheduleEvaluationContext):
    period = previous_month(context.scheduled_execution_time.date())
    if period not in complete_months(home_from_env()):
        return dg.SkipReason(f"waiting for every source's delivery for {period}")
    return dg.RunRequest(run_key=f"publish-{period}", run_config=run_config_for(period))
