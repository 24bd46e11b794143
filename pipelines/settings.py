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

# Everything the pipeline writes under HOME (state/, the build database, the Dagster
# instance, logs, alerts) is owner-only from the moment it is created: a chmod afterwards
# leaves a window, and Dagster and dbt create files this code never sees. Every entry point
# (the CLI, the code server of `dagster dev`, run workers) imports this module before it
# writes anything, and subprocesses (dbt) inherit the mask.
os.umask(0o077)


ALERT_LOG = "alerts.jsonl"  # under the home: the alert log, also the memory of what was alerted

# DuckDB's memory for a connection that writes the build database (ingest, dbt, publishing):
# beyond it, work spills to HOME/state/spill, so a national build stays within 4 GiB of RAM
# with the Python side. Any DuckDB size ("3GB", "800MB").
MEMORY_LIMIT_ENV = "CHECKPOINT_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "2500MB"


# Ingest's own, smaller: its queries look up one delivery's keys and append rows, so what it
# would fill is cache, while its Python side (a national month's rows in two processes, see
# pipelines/ingest/prepare.py) needs the rest of the 4 GiB.
INGEST_MEMORY_LIMIT_ENV = "CHECKPOINT_INGEST_DUCKDB_MEMORY_LIMIT"
DEFAULT_INGEST_MEMORY_LIMIT = "512MB"


def memory_limit(environ=os.environ) -> str:
    return environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT


def ingest_memory_limit(environ=os.environ) -> str:
    return environ.get(INGEST_MEMORY_LIMIT_ENV) or DEFAULT_INGEST_MEMORY_LIMIT


# dbt's threads: its models and tests run side by side, one per core. dbt's own Python work
# between queries (most of a small test's time) then overlaps another's query: a national
# year's build took 27.8 s on one thread and 20.6 s on two (two cores; four gave 21.0 s).
DBT_THREADS_ENV = "CHECKPOINT_DBT_THREADS"


def dbt_threads(environ=os.environ) -> int:
    value = environ.get(DBT_THREADS_ENV)
    if not value:
        return max(1, os.cpu_count() or 1)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{DBT_THREADS_ENV} must be a whole number of threads, at least 1; got {value!r}")
    return int(value)


def duckdb_config(spill: Path | None = None, limit: str | None = None) -> dict[str, str]:
    """DuckDB settings of a bounded connection: the memory limit (``memory_limit()`` unless
    ``limit`` is given), and ``spill`` (made owner-only) for what goes beyond it when given,
    else DuckDB's default beside the file."""
    config = {"memory_limit": limit or memory_limit()}
    if spill is not None:
        spill.mkdir(mode=0o700, parents=True, exist_ok=True)
        config["temp_directory"] = str(spill)
    return config


def connect(path: Path | None = None, *, read_only: bool = False, config: dict[str, str] | None = None):
    """A DuckDB connection to ``path`` (in memory without one) that prints nothing itself.

    DuckDB draws a progress bar on standard output for any query that runs over two seconds,
    whoever reads that output: the first load of ten national years put seven of them among
    `run`'s stage lines, where they would also break into the terminal's live bars. Every
    connection the pipeline opens comes from here."""
    import duckdb

    con = duckdb.connect(str(path) if path is not None else ":memory:", read_only=read_only, config=config or {})
    # Settings of the connection, not of the database. Not printing holds even if something
    # later sets progress_bar_time, which turns the bar itself back on.
    con.execute("SET enable_progress_bar = false; SET enable_progress_bar_print = false")
    return con


def connect_writer(path: Path, spill: Path | None = None, limit: str | None = None):
    """A bounded (``duckdb_config``) DuckDB connection to ``path``."""
    return connect(path, config=duckdb_config(spill, limit))


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
    spill = _under_home("state", "spill")  # DuckDB's temporary files beyond its memory limit
    dbt_target = _under_home("state", "dbt")
    dbt_incremental = _under_home("state", "dbt_incremental.json")  # pipelines/dbt/incremental.py
    analyst_views = _under_home("state", "analyst_views.json")  # pipelines/warehouse/publish.py
    landing_digests = _under_home("state", "landing_digests.json")  # pipelines/ingest/discovery.py
    writer_lock = _under_home("state", "writer.lock")
    # What others read: the analyst copy, the restricted store, the bundles, the alert log.
    warehouse_db = _under_home("warehouse.duckdb")
    restricted_db = _under_home("restricted", "quarantine.duckdb")
    publications = _under_home("publications")
    alerts_log = _under_home(ALERT_LOG)

    def connect_build(self):
        """A bounded connection that may write the build database (``connect_writer``)."""
        return connect_writer(self.build_db, self.spill)

    def exclusive_writer(self, timeout_s: float = 3600):
        """One writer of the build database at a time, across processes (CLI, daemon, UI)."""
        return exclusive_lock(self.writer_lock, timeout_s)


@contextmanager
def exclusive_lock(path: Path, timeout_s: float = 3600):
    """Hold an advisory lock on ``path`` (made owner-only) for the block, across processes;
    ``WriterBusy`` if another holds it beyond ``timeout_s``."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise WriterBusy(f"another pipeline run holds {path}") from None
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def home_from_env(environ=os.environ) -> Home:
    return Home(Path(environ.get("CHECKPOINT_HOME", ".checkpoint_home")).resolve())


def landing_from_env(environ=os.environ) -> Path:
    return Path(environ.get("CHECKPOINT_LANDING", "landing")).resolve()


KEY_ENV, KEY_FILE_ENV = "CHECKPOINT_PSEUDONYM_KEY", "CHECKPOINT_PSEUDONYM_KEY_FILE"
MIN_KEY_BYTES = 32  # a short key is recovered by brute force from the pseudonyms alone
MAKE_A_KEY = ("umask 077; python -c 'import secrets; print(secrets.token_hex(32))' > KEYFILE "
              f"and set {KEY_FILE_ENV}=KEYFILE")


def pseudonym_key(environ=os.environ) -> bytes:
    """The secret behind every pseudonym: it never enters the warehouse. Refused (one line,
    saying how to make a good one) when short, not UTF-8, or in a file others can read."""
    if environ.get(KEY_ENV):
        where = KEY_ENV
        try:
            text = environ[KEY_ENV].encode("utf-8")  # os.environ keeps bad bytes as surrogates
        except UnicodeEncodeError:
            raise ConfigurationError(f"{KEY_ENV} is not valid UTF-8: make a key with: {MAKE_A_KEY}") from None
        key = text.strip()
    elif environ.get(KEY_FILE_ENV):
        where = f"{KEY_FILE_ENV} {environ[KEY_FILE_ENV]}"
        key = _key_from_file(Path(environ[KEY_FILE_ENV]), where)
    else:
        raise ConfigurationError(
            f"no pseudonym key: set {KEY_ENV} or {KEY_FILE_ENV} (a secret kept outside the warehouse); "
            f"make one with: {MAKE_A_KEY}")
    if not key:
        raise ConfigurationError(f"{where} is empty: make a key with: {MAKE_A_KEY}")
    if len(key) < MIN_KEY_BYTES:
        raise ConfigurationError(
            f"{where} holds a key of {len(key)} byte(s); at least {MIN_KEY_BYTES} are needed: make one with: {MAKE_A_KEY}")
    return key


def _key_from_file(path: Path, where: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            raw = handle.read()
    except OSError as error:
        raise ConfigurationError(f"cannot read {where}: {error.strerror}: set {KEY_FILE_ENV} to the readable "
                                 "file holding this home's key") from None
    if not raw.strip():
        return b""
    if mode & 0o077:
        raise ConfigurationError(
            f"{where} can be read or changed by other users (mode {mode & 0o777:o}): make it owner-only "
            f"with: chmod 600 {path}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigurationError(f"{where} is not valid UTF-8: make a key with: {MAKE_A_KEY}") from None
    return text.strip().encode("utf-8")
