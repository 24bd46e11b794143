"""Raising alerts: keep the incidents not alerted before, send them as one digest per
channel, and record every one of them.

Channels come from the environment:

| variable | meaning |
|---|---|
| ``CHECKPOINT_SMTP_URL`` | ``smtp://host:port`` (``smtps://`` for implicit TLS; ``user:password@`` to log in) |
| ``CHECKPOINT_ALERT_FROM`` | the sender's address |
| ``CHECKPOINT_ALERT_TO`` | recipients, comma-separated |
| ``CHECKPOINT_ALERT_WEBHOOK_URL`` | a Slack or Teams incoming webhook (JSON POST with ``text``) |
| ``CHECKPOINT_ALERT_DEADLINE_SECONDS`` | the most a whole send may take, every channel and retry (default 60) |

Email is sent only when all three of its variables are set. A channel that is not
configured is recorded as ``not_configured``; one that fails after its retries, or is cut
at the deadline, as ``failed``, and its alerts ride along in the next digest sent on it
(marked as late), so an outage delays an alert but never loses it. Nothing here raises for
a channel's failure.

A run's alert step (``alert_run``) holds the writer lock only to read the build database and
to bring ``dq.alerts`` up to date; it sends outside it, so a slow channel never holds up
another run. Dispatches take turns on ``HOME/state/alerts.lock`` instead, so that two of
them (a run and a sensor) never raise the same alert twice.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.alerts.channels import (
    FAILED, NOT_CONFIGURED, NOTHING_TO_SEND, SENT, ChannelOutcome, Deadline, email_message, post_webhook,
    send_email, with_retries,
)
from pipelines.alerts.deliveries import collect_delivery_incidents
from pipelines.alerts.digest import Digest, compose
from pipelines.alerts.history import ALERT_LOG, append_log, read_log, reconcile
from pipelines.alerts.incident import Incident, run_failed_incident, sort_key
from pipelines.alerts.state import collect_state_incidents, today
from pipelines.settings import ConfigurationError, Home, WriterBusy, exclusive_lock

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
    deadline_seconds: float = 60.0  # for a whole send: every channel, attempt and backoff

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> AlertConfig:
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            return (env.get(name) or "").strip() or None

        recipients = tuple(a.strip() for a in (get("CHECKPOINT_ALERT_TO") or "").split(",") if a.strip())
        deadline = get("CHECKPOINT_ALERT_DEADLINE_SECONDS")
        if deadline is not None and "deadline_seconds" not in overrides:
            overrides["deadline_seconds"] = _positive_seconds("CHECKPOINT_ALERT_DEADLINE_SECONDS", deadline)
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


def _positive_seconds(name: str, text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        raise ConfigurationError(f"{name} must be a number of seconds above 0, got {text!r}")
    return seconds


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
    Never raises for a channel's failure; returns within the config's send deadline (plus
    the wait for another dispatch of the same home, itself bounded so)."""
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(exclusive_lock(Path(home) / "state" / "alerts.lock"))
        except OSError as exc:
            # A read-only or full home can take neither the lock nor the record: the alert
            # still goes out, and the failed record shows in the result's history_error.
            log.error("the alerts lock under %s cannot be taken (%s): sending unrecorded", home, exc.strerror)
        result = _dispatch(incidents, config, Path(home), now or datetime.now(), run_id)
    if con is not None:
        try:
            reconcile(con, Path(home) / ALERT_LOG)
        except duckdb.Error as exc:
            log.error("alerts could not be written to dq.alerts: %s", exc)
            result = dataclasses.replace(
                result, history_error="; ".join(filter(None, [result.history_error, f"dq.alerts: {exc}"])))
    return result


def _dispatch(incidents: list[Incident], config: AlertConfig, home: Path, now: datetime,
              run_id: str | None) -> DispatchResult:
    log_path = home / ALERT_LOG
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
    sends: dict[str, tuple[object, list[Incident]]] = {}
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
        sends[channel] = (_sender(channel, digest, config, now), batch)
        late[channel] = list(pending)

    if sends:
        # The channels go out side by side, under one deadline for the whole send.
        with Deadline(config.deadline_seconds) as deadline, ThreadPoolExecutor(len(sends)) as pool:
            futures = {channel: pool.submit(with_retries, channel, send, config.attempts,
                                            config.backoff_seconds, deadline)
                       for channel, (send, _) in sends.items()}
            for channel, future in futures.items():
                batch = sends[channel][1]
                outcomes[channel] = dataclasses.replace(future.result(), keys=tuple(sorted(i.key for i in batch)))

    raised_records = [_raised_record(i, outcomes, now, run_id) for i in raised]
    resent_records = _resent_records(previous, late, outcomes, now, run_id)

    history_error = None
    try:
        append_log(log_path, raised_records + resent_records)
    except OSError as exc:
        history_error = f"{log_path}: {exc}"
        log.error("alerts could not be written to %s: %s", log_path, exc)

    result = DispatchResult(
        raised=raised, already_alerted=list(already),
        resent=sorted({r["key"] for r in resent_records}),
        email=outcomes["email"], webhook=outcomes["webhook"], history_error=history_error)
    log.info("alerts: %d raised, %d already alerted, %d sent late; email %s, webhook %s",
             len(raised), len(already), len(result.resent), result.email.status, result.webhook.status)
    return result


def alert_run(home: Home, run_id: str | None, lock_timeout_s: float = 3600) -> DispatchResult:
    """One digest of every incident not alerted before: deliveries and the state of the data.
    The writer lock is held to read the build database and to bring ``dq.alerts`` up to date
    (repairing what an earlier crash left out), never while sending."""
    with home.exclusive_writer(timeout_s=lock_timeout_s):
        con = home.connect_build()
        try:
            incidents = collect_delivery_incidents(con, None) + collect_state_incidents(con, today())
        finally:
            con.close()
    result = dispatch(incidents, AlertConfig.from_env(), home.root, run_id=run_id)
    try:
        with home.exclusive_writer(timeout_s=lock_timeout_s):
            con = home.connect_build()
            try:
                repaired = reconcile(con, home.alerts_log) - len(result.raised)
            finally:
                con.close()
    except WriterBusy:  # a run took the lock meanwhile: its own alert step reconciles
        return dataclasses.replace(result, history_error="dq.alerts: the build database is busy; the next "
                                                         "alert step brings it up to date")
    if repaired > 0:
        log.info("dq.alerts brought up to date with %d earlier alert(s) of %s (failed runs, or an "
                 "alert step cut short)", repaired, home.alerts_log)
    return result


def alert_run_failure(home: Home, run_id: str, message: str) -> DispatchResult:
    """The failed-run alert (``dq.alerts`` gets it at the next alert step)."""
    return dispatch([run_failed_incident(run_id, message)], AlertConfig.from_env(), home.root, run_id=run_id)


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
        return lambda deadline: send_email(message, config.smtp_url, config.timeout_seconds, deadline)
    return lambda deadline: post_webhook(config.webhook_url, digest.webhook, config.timeout_seconds, deadline)


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
