"""Sending a digest: email over SMTP (``smtplib``) and a JSON POST to a webhook (``urllib``).

Each channel is tried ``attempts`` times with a doubling backoff, then reported as failed:
sending never raises, so an unreachable channel never fails the run. An error that a retry
cannot mend (a malformed URL, an HTTP 4xx other than 408/429) fails at once.
"""

from __future__ import annotations

import json
import logging
import smtplib
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

SENT, FAILED, NOT_CONFIGURED, NOTHING_TO_SEND = "sent", "failed", "not_configured", "nothing_to_send"


class PermanentFailure(Exception):
    """A failure no retry can mend."""


@dataclass(frozen=True)
class ChannelOutcome:
    channel: str  # 'email' | 'webhook'
    status: str  # sent | failed | not_configured | nothing_to_send
    attempts: int = 0
    error: str | None = None
    keys: tuple[str, ...] = ()  # the incidents the digest carried


def with_retries(
    channel: str,
    send: Callable[[], None],
    attempts: int,
    backoff_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
) -> ChannelOutcome:
    """Call ``send`` until it returns, at most ``attempts`` times; never raises."""
    error = None
    for attempt in range(1, max(1, attempts) + 1):
        try:
            send()
            return ChannelOutcome(channel, SENT, attempt)
        except PermanentFailure as exc:
            log.warning("alert %s failed, not retried: %s", channel, exc)
            return ChannelOutcome(channel, FAILED, attempt, str(exc))
        except Exception as exc:  # noqa: BLE001 (any failure of a channel is recorded, not raised)
            error = f"{type(exc).__name__}: {exc}"
            log.warning("alert %s attempt %d of %d failed: %s", channel, attempt, attempts, error)
            if attempt < attempts:
                sleep(backoff_seconds * 2 ** (attempt - 1))
    return ChannelOutcome(channel, FAILED, max(1, attempts), error)


def email_message(subject: str, text: str, html: str, mail_from: str, mail_to: tuple[str, ...],
                  now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = mail_from
    message["To"] = ", ".join(mail_to)
    message["Date"] = format_datetime(now.astimezone())
    message["Message-ID"] = make_msgid(domain="checkpoint-warehouse.invalid")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send_email(message: EmailMessage, smtp_url: str, timeout: float) -> None:
    """Send ``message`` through ``smtp://host:port`` (or ``smtps://`` for implicit TLS; a
    ``user:password@`` in the URL logs in)."""
    parts = urlsplit(smtp_url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise PermanentFailure(f"CHECKPOINT_SMTP_URL must be smtp://host:port or smtps://host:port, got {parts.scheme}://…")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError as exc:
        raise PermanentFailure(f"CHECKPOINT_SMTP_URL has a bad port: {exc}") from None
    client = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    with client(parts.hostname, port, timeout=timeout) as smtp:
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(message)


def post_webhook(url: str, payload: dict, timeout: float) -> None:
    """POST ``payload`` as JSON; any 2xx answer is success."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise PermanentFailure("CHECKPOINT_ALERT_WEBHOOK_URL must be an http(s) URL")
    request = urllib.request.Request(
        url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        if 400 <= exc.code < 500 and exc.code not in (408, 429):
            raise PermanentFailure(f"HTTP {exc.code} {exc.reason}") from None
        raise
