"""Raising alerts: keep the incidents not alerted before, send them as one digest per
channel, and record every one of them.

Channels come from the environment:

| variable | meaning |
|---|---|
| ``CHECKPOINT_SMTP_URL`` | ``smtp://host:port`` (``smtps://`` for implicit TLS; ``user:password@`` to log in) |
| ``CHECKPOINT_ALERT_FROM`` | the sender's address |
| ``CHECKPOINT_ALERT_TO`` | recipients, comma-separated |
| ``CHECKPOINT_ALERT_WEBHOOK_URL`` | a Slack or Teams incoming webhook (JSON POST with ``text``) |

Email is sent only when all three of its variables are set. A channel that is not
configured is recorded as ``not_configured``; one that fails after its retries as
``failed``, and its alerts ride along in the next digest sent on it (marked as late), so an
outage delays an alert but never loses it. Nothing here raises for a channel's failure.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.alerts.channels import (
    FAILED, NOT_CONFIGURED, NOTHING_TO_SEND, SENT, ChannelOutcome, email_message, post_webhook,
    send_email, with_retries,
)
from pipelines.alerts.digest import Digest, compose
from pipelines.alerts.history import ALERT_LOG, append_log, read_log, write_history
from pipelines.alerts.incident import Incident, sort_key

log = logging.getLogger(__name__)

CHANNELS = ("email", "webhook")


@dataclass(frozen=True)
class AlertConfig:
    smtp_url: str | None = None
    mail_from: str | None = None
    mail_to: tuple[str, ...] = ()
    webhook_url: str | None = None
    attempts: int = 3  # per channel and dispatch
    backoff_seconds: float = 2.0  # before the 2nd attempt; doubled before each later one
    timeout_seconds: float = 15.0  # per connection

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> AlertConfig:
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            return (env.get(name) or "").strip() or None

        recipients = tuple(a.strip() for a in (get("CHECKPOINT_ALERT_TO") or "").split(",") if a.strip())
        return cls(smtp_url=get("CHECKPOINT_SMTP_URL"), mail_from=get("CHECKPOINT_ALERT_FROM"),
                   mail_to=recipients, webhook_url=get("CHECKPOINT_ALERT_WEBHOOK_URL"), **overrides)

    @property
    def email_configured(self) -> bool:
        return bool(self.smtp_url and self.mail_from and self.mail_to)

    @property
    def webhook_configured(self) -> bool:
        return bool(self.webhook_url)

    def missing_email_settings(self) -> list[str]:
        """The email variables left unset when some of them are set (a half-done setup)."""
        settings = {"CHECKPOINT_SMTP_URL": self.smtp_url, "CHECKPOINT_ALERT_FROM": self.mail_from,
                    "CHECKPOINT_ALERT_TO": self.mail_to}
        missing = [name for name, value in settings.items() if not value]
        return missing if len(missing) < len(settings) else []


@dataclass(frozen=True)
class DispatchResult:
    raised: list[Incident]  # alerted for the first time by this dispatch, in digest order
    already_alerted: list[str]  # keys of the incidents given that were alerted before
    resent: list[str]  # keys alerted before whose failed channel delivered them now
    email: ChannelOutcome
    webhook: ChannelOutcome
    history_error: str | None = None  # alerts.jsonl or dq.alerts could not be written

    def outcome(self, channel: str) -> ChannelOutcome:
        return self.email if channel == "email" else self.webhook


def dispatch(
    incidents: list[Incident],
    config: AlertConfig,
    home: Path,
    con: duckdb.DuckDBPyConnection | None = None,
    *,
    now: datetime | None = None,
    run_id: str | None = None,
) -> DispatchResult:
    """Alert the incidents not alerted before in one digest per channel, and record them in
    ``home/alerts.jsonl`` and (with ``con``, a connection to the build database) ``dq.alerts``.
    Never raises for a channel's failure."""
    now = now or datetime.now()
    log_path = Path(home) / ALERT_LOG
    previous = read_log(log_path)

    new: dict[str, Incident] = {}
    already: dict[str, None] = {}  # ordered set
    for incident in incidents:
        if incident.key in previous:
            already[incident.key] = None
        else:
            new.setdefault(incident.key, incident)  # the first of a repeated key stands
    raised = sorted(new.values(), key=sort_key)

    for name in config.missing_email_settings():
        log.warning("email alerts are off: %s is not set", name)

    outcomes: dict[str, ChannelOutcome] = {}
    late: dict[str, list[str]] = {}
    for channel in CHANNELS:
        configured = config.email_configured if channel == "email" else config.webhook_configured
        if not configured:
            outcomes[channel] = ChannelOutcome(channel, NOT_CONFIGURED)
            continue
        pending = _pending(previous, channel)
        batch = raised + list(pending.values())
        if not batch:
            outcomes[channel] = ChannelOutcome(channel, NOTHING_TO_SEND)
            continue
        notes = {k: f"Sent late: first raised {previous[k].get('alerted_at')}, when this channel failed."
                 for k in pending}
        digest = compose(batch, now=now, run_id=run_id, notes=notes)
        outcome = with_retries(channel, _sender(channel, digest, config, now),
                               config.attempts, config.backoff_seconds)
        outcomes[channel] = dataclasses.replace(outcome, keys=tuple(sorted(i.key for i in batch)))
        late[channel] = list(pending)

    raised_records = [_raised_record(i, outcomes, now, run_id) for i in raised]
    resent_records = _resent_records(previous, late, outcomes, now, run_id)

    history_error = None
    try:
        append_log(log_path, raised_records + resent_records)
    except OSError as exc:
        history_error = f"{log_path}: {exc}"
        log.error("alerts could not be written to %s: %s", log_path, exc)
    if con is not None:
        try:
            write_history(con, raised_records, resent_records)
        except duckdb.Error as exc:
            history_error = "; ".join(filter(None, [history_error, f"dq.alerts: {exc}"]))
            log.error("alerts could not be written to dq.alerts: %s", exc)

    result = DispatchResult(
        raised=raised, already_alerted=list(already),
        resent=sorted({r["key"] for r in resent_records}),
        email=outcomes["email"], webhook=outcomes["webhook"], history_error=history_error)
    log.info("alerts: %d raised, %d already alerted, %d sent late; email %s, webhook %s",
             len(raised), len(already), len(result.resent), result.email.status, result.webhook.status)
    return result


def _pending(previous: dict[str, dict], channel: str) -> dict[str, Incident]:
    """Alerts whose latest record says ``channel`` failed them, by key."""
    pending = {}
    for key, record in previous.items():
        if record.get(f"{channel}_status") == FAILED:
            try:
                pending[key] = Incident.from_record(record)
            except (TypeError, ValueError) as exc:
                log.warning("alert %s cannot be sent again, its record is incomplete: %s", key, exc)
    return pending


def _sender(channel: str, digest: Digest, config: AlertConfig, now: datetime):
    if channel == "email":
        message = email_message(digest.subject, digest.text, digest.html, config.mail_from,
                                config.mail_to, now)
        return lambda: send_email(message, config.smtp_url, config.timeout_seconds)
    return lambda: post_webhook(config.webhook_url, digest.webhook, config.timeout_seconds)


def _channel_fields(status: str, error: str | None, channel: str) -> dict:
    return {f"{channel}_status": status, f"{channel}_error": error}


def _raised_record(incident: Incident, outcomes: dict[str, ChannelOutcome], now: datetime,
                   run_id: str | None) -> dict:
    record = {"event": "raised", "alerted_at": now.isoformat(timespec="seconds"), "run_id": run_id,
              **incident.to_record()}
    for channel in CHANNELS:
        outcome = outcomes[channel]
        record.update(_channel_fields(outcome.status, outcome.error, channel))
    return record


def _resent_records(previous: dict[str, dict], late: dict[str, list[str]],
                    outcomes: dict[str, ChannelOutcome], now: datetime, run_id: str | None) -> list[dict]:
    """A line per alert that a channel delivered late, with its channels as they now stand."""
    updated: dict[str, dict] = {}
    for channel, keys in late.items():
        if outcomes[channel].status != SENT:
            continue  # still failing: nothing changed, nothing to record
        for key in keys:
            record = updated.setdefault(key, {**previous[key], "event": "resent",
                                              "resent_at": now.isoformat(timespec="seconds"),
                                              "resent_run_id": run_id})
            record.update(_channel_fields(SENT, None, channel))
    return [updated[k] for k in sorted(updated)]
