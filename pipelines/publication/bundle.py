"""Writing the publication bundle ``publications/P/`` (publication.md, "The publication
bundle").

The bundle is computed in memory (:func:`build_bundle`, a pure function of its inputs), then
:func:`write_bundle`

- finds the previous publication, the bundle written most recently before this one, from
  ``publications/index.json``: the bundles' folder names in the order they were written
  (file times are not trusted for that);
- returns an existing bundle of the same period unchanged when the same inputs and code
  give exactly its bytes (each earlier version of P is rebuilt against the publication that
  preceded *it*, so republishing after later bundles were written still matches);
- otherwise writes ``P/`` (or the next ``P-vN/``) into a temporary folder beside it and
  renames it into place, so a bundle folder is either whole or absent.

The index entry is written just before the rename: an entry whose folder is absent (a crash
between the two) is dropped on the next read, and a bundle folder missing from the index is
an error, since its place in the order would be a guess.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines.calendar_uk import parse_period, release_date
from pipelines.publication.bulletin import bulletin_bytes, bulletin_file_name
from pipelines.publication.disclosure import PublishedCell, disclose
from pipelines.publication.outcomes import (
    OutcomeCell,
    apply_outcome_status,
    disclose_outcomes,
    outcomes_csv,
    outcomes_file_name,
    read_published_outcomes,
)
from pipelines.publication.manifest import (
    MANIFEST_NAME,
    accepted_deliveries,
    manifest_bytes,
    sha256_hex,
)
from pipelines.publication.reference import Reference, reference
from pipelines.publication.spreadsheet import workbook_bytes, workbook_file_name
from pipelines.publication.status import Key, apply_status, revisions
from pipelines.publication.tables import (
    measures_csv,
    measures_file_name,
    read_published,
    revisions_csv,
    revisions_file_name,
)

INDEX_NAME = "index.json"
_LOCK_NAME = ".lock"
_FOLDER = re.compile(r"^(\d{4}-\d{2})(?:-v(\d+))?$")


@dataclass(frozen=True)
class BundleResult:
    path: Path  # the bundle folder
    period: str
    version: int  # 1 for P/, 2 for P-v2/, ...
    created: bool  # False when an identical bundle already existed and nothing was written
    previous: str | None  # folder name of the previous publication it was compared with
    files: dict[str, str]  # every file of the bundle (manifest included) -> SHA-256


def folder_name(period: str, version: int) -> str:
    return period if version == 1 else f"{period}-v{version}"


# --------------------------------------------------------------------------- in memory


@dataclass(frozen=True)
class _Inputs:
    period: str
    cells: list[PublishedCell]  # without status flags
    accepted: list[dict]
    deliveries: list[Mapping]
    dq_summary: Mapping
    code_version: str
    ref: Reference
    outcomes: list[OutcomeCell]  # without status flags


@dataclass(frozen=True)
class _Previous:
    """What the previous publication published: its measures and outcomes cells, each
    mapped to its value-or-marker (None when there is no such file)."""

    measures: Mapping[Key, str] | None = None
    outcomes: Mapping[Key, str] | None = None


def _prepare(period, cells, deliveries, dq_summary, code_version, ref,
             outcome_cells=None) -> _Inputs:
    parse_period(period)
    if not isinstance(code_version, str) or not code_version:
        raise ValueError("code_version must be a non-empty string")
    if isinstance(deliveries, pd.DataFrame):  # dq.deliveries read as a frame
        deliveries = deliveries.to_dict("records")
    deliveries = list(deliveries)
    return _Inputs(period, disclose(cells, period, ref), accepted_deliveries(deliveries),
                   deliveries, dict(dq_summary or {}), code_version, ref,
                   disclose_outcomes(outcome_cells, period))


def _render(inp: _Inputs, version: int, previous: _Previous,
            existing: Path | None = None) -> dict[str, bytes] | None:
    """Every file of the bundle by name. With ``existing``, None as soon as a file differs
    from that folder's (the costly workbook is made last, only if all else matches)."""
    p = inp.period
    cells = apply_status(inp.cells, p, previous.measures)
    outcomes = apply_outcome_status(inp.outcomes, p, previous.outcomes)
    release = release_date(p)
    files: dict[str, bytes] = {}
    makers = (
        (measures_file_name(p), lambda: measures_csv(cells)),
        (revisions_file_name(p), lambda: revisions_csv(revisions(cells, previous.measures))),
        (outcomes_file_name(p), lambda: outcomes_csv(outcomes)),
        (bulletin_file_name(p), lambda: bulletin_bytes(
            cells, inp.ref, p, release, version, inp.code_version, inp.accepted,
            inp.deliveries, inp.dq_summary, outcomes)),
        (workbook_file_name(p), lambda: workbook_bytes(
            cells, inp.ref, p, release, version, inp.code_version, outcomes)),
        (MANIFEST_NAME, lambda: manifest_bytes(
            p, version, inp.code_version, inp.accepted, files)),
    )
    if existing is not None and {q.name for q in existing.iterdir()} != {n for n, _ in makers}:
        return None
    for name, make in makers:
        files[name] = make()
        if existing is not None and (existing / name).read_bytes() != files[name]:
            return None
    return files


def build_bundle(
    period: str,
    cells: pd.DataFrame,
    deliveries: list[dict] | pd.DataFrame,
    dq_summary: Mapping,
    code_version: str,
    *,
    version: int = 1,
    previous: Mapping[Key, str] | None = None,
    ref: Reference | None = None,
    outcome_cells: pd.DataFrame | None = None,
    previous_outcomes: Mapping[Key, str] | None = None,
) -> dict[str, bytes]:
    """Every file of the bundle for ``period``, by name, without touching the disk.

    ``previous`` maps each cell of the previous publication to its published value or
    marker (see :func:`pipelines.publication.tables.read_published`); None when there is
    no previous publication. ``outcome_cells`` are the rows of marts.outcome_measure_cells
    (None: no outcome figures, the outcomes file is its header only) and
    ``previous_outcomes`` the previous publication's outcomes file as
    :func:`pipelines.publication.outcomes.read_published_outcomes` reads it.
    """
    inp = _prepare(period, cells, deliveries, dq_summary, code_version, ref or reference(),
                   outcome_cells)
    return _render(inp, version, _Previous(previous, previous_outcomes))


# --------------------------------------------------------------------------- on disk


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    with open(directory / _LOCK_NAME, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_index(directory: Path) -> list[dict]:
    """The bundles in write order, as ``{"folder", "period", "version"}``, keeping only
    those whose folder exists; every bundle folder must be listed."""
    path = directory / INDEX_NAME
    entries = json.loads(path.read_text(encoding="utf-8"))["bundles"] if path.exists() else []
    entries = [e for e in entries if (directory / e["folder"]).is_dir()]
    listed = {e["folder"] for e in entries}
    unlisted = sorted(p.name for p in directory.iterdir()
                      if p.is_dir() and _FOLDER.match(p.name) and p.name not in listed)
    if unlisted:
        raise RuntimeError(
            f"bundle folders {unlisted} in {directory} are not in {INDEX_NAME}: "
            "the order of publications cannot be known"
        )
    return entries


def _write_index(directory: Path, entries: list[dict]) -> None:
    data = (json.dumps({"bundles": entries}, indent=2) + "\n").encode("utf-8")
    tmp = directory / f".{INDEX_NAME}.tmp"
    _write_file(tmp, data)
    os.replace(tmp, directory / INDEX_NAME)
    _fsync_dir(directory)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _previous_cells(directory: Path, entry: dict | None) -> _Previous:
    """The previous publication's cells; a bundle written before the outcomes file existed
    has no outcomes cells, so none of this bundle's outcome cells can be revised."""
    if entry is None:
        return _Previous()
    folder = directory / entry["folder"]
    outcomes = folder / outcomes_file_name(entry["period"])
    return _Previous(
        read_published((folder / measures_file_name(entry["period"])).read_bytes()),
        read_published_outcomes(outcomes.read_bytes()) if outcomes.exists() else None,
    )


def _result(folder: Path, entry: dict, created: bool, previous: dict | None,
            files: Mapping[str, bytes]) -> BundleResult:
    return BundleResult(
        path=folder, period=entry["period"], version=entry["version"], created=created,
        previous=previous["folder"] if previous else None,
        files={name: sha256_hex(data) for name, data in sorted(files.items())},
    )


def write_bundle(
    publications_dir: Path,
    period: str,
    cells: pd.DataFrame,
    deliveries: list[dict] | pd.DataFrame,
    dq_summary: dict,
    code_version: str,
    outcome_cells: pd.DataFrame | None = None,
) -> BundleResult:
    """Publish ``period`` under ``publications_dir`` (see the module's docstring)."""
    inp = _prepare(period, cells, deliveries, dq_summary, code_version, reference(),
                   outcome_cells)
    directory = Path(publications_dir)
    directory.mkdir(parents=True, exist_ok=True)
    with _locked(directory):
        entries = _read_index(directory)
        for i, entry in enumerate(entries):  # an identical bundle of P, if any
            if entry["period"] != period:
                continue
            before = entries[i - 1] if i else None
            folder = directory / entry["folder"]
            files = _render(inp, entry["version"], _previous_cells(directory, before), folder)
            if files is not None:
                return _result(folder, entry, False, before, files)
        versions = [int(m.group(2) or 1) for p in directory.iterdir()
                    if (m := _FOLDER.match(p.name)) and m.group(1) == period]
        version = max(versions, default=0) + 1
        entry = {"folder": folder_name(period, version), "period": period, "version": version}
        before = entries[-1] if entries else None
        files = _render(inp, version, _previous_cells(directory, before))
        tmp = directory / f".tmp-{entry['folder']}-{os.getpid()}"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        try:
            for name, data in files.items():
                _write_file(tmp / name, data)
            _fsync_dir(tmp)
            _write_index(directory, entries + [entry])
            os.rename(tmp, directory / entry["folder"])
            _fsync_dir(directory)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return _result(directory / entry["folder"], entry, True, before, files)
