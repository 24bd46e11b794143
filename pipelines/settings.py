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


def _under_home(*parts: str) -> property:
    """A read-only path of a home: ``parts`` under its root."""
    return property(lambda home: home.root.joinpath(*parts), doc="HOME/" + "/".join(parts))


@dataclass(frozen=True)
class Home:
    """Every path a pipeline home holds, named once here."""
    root: Path

    # The pipeline's own: the working database (the analyst copy's file name, because dbt's
    # views name their catalog after the file), dbt's target and logs (one folder, rewritten
    # each run, not a new one under dbt_project/target/), and the one-writer lock.
    build_db = _under_home("state", "build", "warehouse.duckdb")
    dbt_target = _under_home("state", "dbt")
    writer_lock = _under_home("state", "writer.lock")
    # What others read: the analyst copy, the restricted store, the bundles, the alert log.
    warehouse_db = _under_home("warehouse.duckdb")
    restricted_db = _under_home("restricted", "quarantine.duckdb")
    publications = _under_home("publications")
    alerts_log = _under_home(ALERT_LOG)

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
