"""A hostile receiver on 127.0.0.1 for alert tests: it accepts a connection and answers one
byte at a time, slowly, for ever. No read ever times out against it; only a deadline for
the whole send ends the conversation."""

from __future__ import annotations

import itertools
import select
import socket
import threading

import pytest

SMTP_GREETING = b"220-drip.example takes its time "  # never ends its line: smtplib keeps reading
HTTP_ANSWER = b"HTTP/1.1 200 OK\r\nX-Drip: "  # a header that never ends


class DripServer:
    """Drips ``payload`` (repeated) one byte every ``interval`` seconds to each connection.

    ``connected`` is set when a client connects; ``cut_by_client`` when a client hung up
    while the server still had bytes to send (which, against a dripping server, only a
    deadline on the client's side does)."""

    def __init__(self, payload: bytes, interval: float = 0.5):
        self.payload, self.interval = payload, interval
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connected = threading.Event()
        self.cut_by_client = threading.Event()
        self.connections = 0
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            self.connected.set()
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            for byte in itertools.cycle(self.payload):
                if self._stop.wait(self.interval):
                    return
                try:
                    readable, _, _ = select.select([conn], [], [], 0)
                    if readable and not conn.recv(65536):  # the client hung up
                        self.cut_by_client.set()
                        return
                    conn.sendall(bytes([byte]))
                except OSError:  # reset by the client
                    self.cut_by_client.set()
                    return

    def stop(self) -> None:
        self._stop.set()
        self.listener.close()


@pytest.fixture
def drip_smtp():
    server = DripServer(SMTP_GREETING)
    yield server
    server.stop()


@pytest.fixture
def drip_http():
    server = DripServer(HTTP_ANSWER)
    yield server
    server.stop()
