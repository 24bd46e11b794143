"""Shared fixtures: the real SMTP server and webhook receiver live in tests/receivers.py."""

from tests.receivers import receiver, smtp_server  # noqa: F401 (pytest fixtures)
