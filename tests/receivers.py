"""Real receivers on 127.0.0.1 for alert tests: an SMTP server and a webhook endpoint."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    """A port nothing listens on (bound, read and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpCapture:
    """An aiosmtpd handler keeping every message as (mail_from, rcpt_tos, content)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    """(port, messages): a real SMTP server capturing (mail_from, rcpt_tos, content)."""
    capture = SmtpCapture()
    controller = Controller(capture, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, capture.messages
    controller.stop()


class Receiver(ThreadingHTTPServer):
    def __init__(self):
        self.posts: list[dict] = []
        self.statuses: list[int] = []  # answers to give, in order; 200 once used up
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/alerts"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server: Receiver = self.server
        server.posts.append({"path": self.path, "content_type": self.headers["Content-Type"], "body": body})
        status = server.statuses.pop(0) if server.statuses else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"ok" if status == 200 else b"busy")

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    """A real HTTP server recording every POST in ``.posts``."""
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
