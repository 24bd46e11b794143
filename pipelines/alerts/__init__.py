"""Alerts to data admins: every delivery problem, once, with what to do about it.

A run raises its alerts in one call, after ingest and the models (or on failure)::

    incidents = collect_delivery_incidents(con, sha256s_first_seen_in_this_run)
    incidents += collect_state_incidents(con, today)
    dispatch(incidents, AlertConfig.from_env(), home, con, run_id=run_id)

    # a run that could not complete:
    dispatch([run_failed_incident(run_id, one_line)], AlertConfig.from_env(), home, run_id=run_id)

- ``incident``: the ``Incident`` (a stable ``key`` per problem) and the key scheme;
- ``deliveries`` / ``state``: pure reads of the build database into incidents;
- ``digest``: one digest (subject, text, HTML, webhook JSON) per dispatch;
- ``channels``: SMTP and webhook sending with retries; never raises;
- ``history``: ``HOME/alerts.jsonl`` (also the memory of what was alerted) and ``dq.alerts``;
- ``dispatch``: configuration from the environment, the dispatch itself (one deadline for
  a whole send), and a run's alert step ``alert_run`` (sends outside the writer lock).
"""

from pipelines.alerts.channels import ChannelOutcome
from pipelines.alerts.deliveries import collect_delivery_incidents
from pipelines.alerts.dispatch import AlertConfig, DispatchResult, dispatch
from pipelines.alerts.incident import Incident, run_failed_incident
from pipelines.alerts.state import collect_state_incidents

__all__ = [
    "AlertConfig", "ChannelOutcome", "DispatchResult", "Incident", "collect_delivery_incidents",
    "collect_state_incidents", "dispatch", "run_failed_incident",
]
