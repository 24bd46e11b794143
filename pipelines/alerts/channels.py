"""Sending a digest: email over SMTP (``smtplib``) and a JSON POST to a webhook (``urllib``).

Each channel is tried ``attempts`` times with a doubling backoff, then reported as failed:
sending never raises, so an unreachable channel never fails the run. An error that a retry
cannot mend (a malformed URL, an HTTP 4xx other than 408/429) fails at once.

One ``Deadline`` bounds a whole send, every attempt and backoff of every channel: a
per-read timeout does not, since a server that drips a byte every few seconds never lets
a read time out. When the deadline passes, every connection it watches is shut down, which
ends whatever read or write is under way.
"""

from __future__ import annotations

import http.client
import json
import logging
import smtplib
import socket
import threading
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


class Deadline:
    """The end of a whole send. ``watch`` a connection and it is shut down when the deadline
    passes; ``close`` when the send is over."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._end = time.monotonic() + seconds
        self._watched: list[socket.socket] = []
        self._lock = threading.Lock()
        self.passed = False
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return 0.0 if self.passed else max(0.0, self._end - time.monotonic())

    def watch(self, sock: socket.socket) -> socket.socket:
        # A duplicate descriptor of the same connection: it still names it after TLS wraps
        # the original (which detaches it), and it is never another, reused descriptor.
        with self._lock:
            self._watched.append(sock.dup())
            if self.passed:
                self._shut(self._watched[-1])
        return sock

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed by its user

    def _cut(self) -> None:
        with self._lock:
            self.passed = True
            for sock in self._watched:
                self._shut(sock)

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._watched:
                sock.close()
            self._watched.clear()

    def __enter__(self) -> Deadline:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def with_retries(
    channel: str,
    send: Callable[[Deadline], None],
    attempts: int,
    backoff_seconds: float,
    deadline: Deadline,
    sleep: Callable[[float], None] = time.sleep,
) -> ChannelOutcome:
    """Call ``send`` until it returns, at most ``attempts`` times and until the deadline;
    never raises."""
    error, attempt = None, 0
    for attempt in range(1, max(1, attempts) + 1):
        if deadline.remaining() <= 0:
            attempt -= 1
            break
        try:
            send(deadline)
            return ChannelOutcome(channel, SENT, attempt)
        except PermanentFailure as exc:
            log.warning("alert %s failed, not retried: %s", channel, exc)
            return ChannelOutcome(channel, FAILED, attempt, str(exc))
        except Exception as exc:  # noqa: BLE001 (any failure of a channel is recorded, not raised)
            error = f"{type(exc).__name__}: {exc}"
            log.warning("alert %s attempt %d of %d failed: %s", channel, attempt, attempts, error)
            if attempt < attempts:
                sleep(min(backoff_seconds * 2 ** (attempt - 1), deadline.remaining()))
    if deadline.passed:
        error = f"gave up when the send deadline of {deadline.seconds:g} s passed" + (f" ({error})" if error else "")
        log.warning("alert %s: %s", channel, error)
    return ChannelOutcome(channel, FAILED, attempt, error)


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


class _WatchedSMTP(smtplib.SMTP):
    deadline: Deadline

    def _get_socket(self, host, port, timeout):
        return self.deadline.watch(super()._get_socket(host, port, timeout))


class _WatchedSMTPS(smtplib.SMTP_SSL, _WatchedSMTP):
    """SMTP_SSL wraps the connection _WatchedSMTP made and watches (the TLS handshake too)."""


def send_email(message: EmailMessage, smtp_url: str, timeout: float, deadline: Deadline) -> None:
    """Send ``message`` through ``smtp://host:port`` (or ``smtps://`` for implicit TLS; a
    ``user:password@`` in the URL logs in) before ``deadline``."""
    parts = urlsplit(smtp_url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise PermanentFailure(f"CHECKPOINT_SMTP_URL must be smtp://host:port or smtps://host:port, got {parts.scheme}://…")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError as exc:
        raise PermanentFailure(f"CHECKPOINT_SMTP_URL has a bad port: {exc}") from None
    client = type("Client", (_WatchedSMTPS if parts.scheme == "smtps" else _WatchedSMTP,), {"deadline": deadline})
    with client(parts.hostname, port, timeout=max(0.1, min(timeout, deadline.remaining()))) as smtp:
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(message)


def chat_escape(text: str) -> str:
    """Text that Slack (mrkdwn) and Teams show as written: ``<!channel>``, ``<@user>`` or
    ``<http://…|label>`` in a file name must not notify or link. Both render these entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_payload(payload: dict) -> dict:
    """The digest's webhook JSON with the fields chat clients render escaped."""
    return {k: chat_escape(v) if k in ("text", "summary") and isinstance(v, str) else v
            for k, v in payload.items()}


def _watched_connection(base: type, deadline: Deadline) -> type:
    class Watched(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            create = self._create_connection
            self._create_connection = lambda *a, **k: deadline.watch(create(*a, **k))
    return Watched


class _WatchedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: Deadline):
        super().__init__()
        self.deadline = deadline

    def http_open(self, req):
        return self.do_open(_watched_connection(http.client.HTTPConnection, self.deadline), req)


class _WatchedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: Deadline):
        super().__init__()
        self.deadline = deadline

    def https_open(self, req):
        return self.do_open(_watched_connection(http.client.HTTPSConnection, self.deadline), req,
                            context=self._context)


def post_webhook(url: str, payload: dict, timeout: float, deadline: Deadline) -> None:
    """POST ``payload`` as JSON before ``deadline``; any 2xx answer is success."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise PermanentFailure("CHECKPOINT_ALERT_WEBHOOK_URL must be an http(s) URL")
    request = urllib.request.Request(
        url, data=json.dumps(webhook_payload(payload), ensure_ascii=False).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"})
    opener = urllib.request.build_opener(_WatchedHTTPHandler(deadline), _WatchedHTTPSHandler(deadline))
    try:
        with opener.open(request, timeout=max(0.1, min(timeout, deadline.remaining()))) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        if 400 <= exc.code < 500 and exc.code not in (408, 429):
            raise PermanentFailure(f"HTTP {exc.code} {exc.reason}") from None
        raise
