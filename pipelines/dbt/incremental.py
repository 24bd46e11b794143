"""What a dbt build must rebuild: every key, or only the keys deliveries changed since the last.

The key-incremental models (``dbt_project/macros/incremental.sql``) rebuild the keys their
``int_changes__*`` model lists when dbt's environment has ``CHECKPOINT_DBT_CHANGES_SINCE``:
the ``dq.deliveries`` seen_order the last complete build had taken in. That number is recorded
here, in ``HOME/state/dbt_incremental.json``, only after a build of every model succeeded,
with a fingerprint of the definitions it was built with; it is removed before each build, so
a build that fails or is cut short leaves none, and the next builds every key, as does a
build after any model, seed or macro changed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from pipelines.records import write_record
from pipelines.settings import connect

# An environment variable, not a dbt var: dbt parses the whole project again when a var
# changes (about 4 s of each run), and only the files that read it when this does.
CHANGES_ENV = "CHECKPOINT_DBT_CHANGES_SINCE"


@dataclass(frozen=True)
class IncrementalState:
    built_through_seen_order: int  # the largest dq.deliveries seen_order the build had taken in
    definitions: str  # definitions_fingerprint() of the manifest it was built from


def definitions_fingerprint(manifest: dict) -> str:
    """A digest of what decides the models' rows: every model's and seed's checksum (their
    SQL, their file) and the project's own macros, from dbt's manifest."""
    parts = sorted(
        f"{node_id}={node['checksum']['checksum']}" for node_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed"))
    parts += sorted(f"{macro_id}={hashlib.sha256(macro['macro_sql'].encode()).hexdigest()}"
                    for macro_id, macro in manifest["macros"].items()
                    if macro["package_name"] == manifest["metadata"].get("project_name", "checkpoint"))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def build_environment(state: IncrementalState | None, definitions: str, whole_build: bool) -> dict[str, str]:
    """What dbt's environment adds for the next build: the changes since the last complete
    build when that build stands for these definitions and this build takes in every model,
    else nothing (every key is rebuilt)."""
    if state is None or state.definitions != definitions or not whole_build:
        return {}
    return {CHANGES_ENV: str(state.built_through_seen_order)}


@contextmanager
def changes_in_environment(changes: dict[str, str]) -> Iterator[None]:
    """The environment a dbt process started inside inherits: the changes variable as given,
    or absent (a value left in the caller's environment must not make a build of every key
    incremental); as it was, afterwards."""
    before = os.environ.pop(CHANGES_ENV, None)
    os.environ.update(changes)
    try:
        yield
    finally:
        os.environ.pop(CHANGES_ENV, None)
        if before is not None:
            os.environ[CHANGES_ENV] = before


def read_state(path: Path) -> IncrementalState | None:
    if not path.exists():
        return None
    return IncrementalState(**json.loads(path.read_text(encoding="utf-8")))


def write_state(path: Path, state: IncrementalState) -> None:
    write_record(path, asdict(state))


def latest_seen_order(build_db: Path) -> int:
    """The largest seen_order in the build's dq.deliveries (0 before any delivery)."""
    if not build_db.exists():
        return 0
    con = connect(build_db, read_only=True)
    try:
        found = con.execute("SELECT count(*) FROM duckdb_tables() "
                            "WHERE schema_name = 'dq' AND table_name = 'deliveries'").fetchone()[0]
        return con.execute("SELECT coalesce(max(seen_order), 0) FROM dq.deliveries").fetchone()[0] if found else 0
    finally:
        con.close()
