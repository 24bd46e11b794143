"""Where a pipeline home keeps things, and the pseudonym key, from the environment.

`checkpoint-warehouse run --landing DIR --home DIR` exports CHECKPOINT_LANDING and
CHECKPOINT_HOME so that the CLI, `dagster dev` and the schedules share one configuration.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


ALERT_LOG = "alerts.jsonl"  # under the home: the alert log, also the memory of what was alerted


class ConfigurationError(RuntimeError):
    """The pipeline cannot start: the message says what to set."""


class WriterBusy(RuntimeError):
    """Another process holds the build database's writer lock."""


@dataclass(frozen=True)
class Home:
    """Every path a pipeline home holds, named once here."""
    root: Path

    @property
    def build_db(self) -> Path:
        # Same file name as the analyst copy: dbt views name their catalog after the file.
        return self.root / "state" / "build" / "warehouse.duckdb"

    @property
    def dbt_target(self) -> Path:
        """dbt's target and log folder for runs of this home (not the project's target/)."""
        return self.root / "state" / "dbt"

    @property
    def warehouse_db(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def restricted_db(self) -> Path:
        return self.root / "restricted" / "quarantine.duckdb"

    @property
    def publications(self) -> Path:
        return self.root / "publications"

    @property
    def alerts_log(self) -> Path:
        return self.root / ALERT_LOG

    @property
    def writer_lock(self) -> Path:
        return self.root / "state" / "writer.lock"

    @contextmanager
    def exclusive_writer(self, timeout_s: float = 3600):
        """One writer of the build database at a time, across processes (CLI, daemon, UI)."""
        self.writer_lock.parent.mkdir(parents=True, exist_ok=True)
        with open(self.writer_lock, "w") as handle:
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise WriterBusy(f"another pipeline run holds {self.writer_lock}") from None
                    time.sleep(0.5)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def home_from_env(environ=os.environ) -> Home:
    return Home(Path(environ.get("CHECKPOINT_HOME", ".checkpoint_home")).resolve())


def landing_from_env(environ=os.environ) -> Path:
    return Path(environ.get("CHECKPOINT_LANDING", "landing")).resolve()


def pseudonym_key(environ=os.environ) -> bytes:
    """The secret behind every pseudonym: it never enters the warehouse."""
    if environ.get("CHECKPOINT_PSEUDONYM_KEY"):
        return environ["CHECKPOINT_PSEUDONYM_KEY"].encode("utf-8")
    key_file = environ.get("CHECKPOINT_PSEUDONYM_KEY_FILE")
    if key_file:
        try:
            key = Path(key_file).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ConfigurationError(f"cannot read CHECKPOINT_PSEUDONYM_KEY_FILE {key_file}: {error.strerror}") from None
        if key:
            return key.encode("utf-8")
        raise ConfigurationError(f"CHECKPOINT_PSEUDONYM_KEY_FILE {key_file} is empty")
    raise ConfigurationError(
        "no pseudonym key: set CHECKPOINT_PSEUDONYM_KEY or CHECKPOINT_PSEUDONYM_KEY_FILE "
        "(a secret kept outside the warehouse)")
