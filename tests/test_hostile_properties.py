"""Issue 9, item 2: property-based tests that mutate real generated deliveries.

Hypothesis flips and truncates bytes, shifts fields, swaps and repeats columns and rows,
damages a workbook's XML inside a valid zip and mangles file names (any bytes a file
name may hold). Whatever it makes, the real ingest (real DuckDB file, real GX gate)
completes, every landed file gets exactly one fate in dq.deliveries, and every accepted
delivery reconciles: rows read = loaded + quarantined + duplicate. Bounded (derandomised,
a few dozen examples) so that CI stays fast.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
import zlib
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from generator import generate_landing
from pipelines.ingest.discovery import display_name
from pipelines.ingest.load import ingest_landing
from pipelines.settings import Home

BOUNDED = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FATES = {"accepted", "rejected", "duplicate", "ignored", "superseded"}


@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> dict[str, bytes]:
    """One real generated delivery per source, CSVs cut to their first 40 rows (line ends kept)."""
    landing = tmp_path_factory.mktemp("generated")
    generate_landing(landing, start="2026-01", months=1, scale="durham", seed=11)
    deliveries = {}
    for name in ("rms/arrests_202601.csv", "custody/custody_202601.csv", "programme/checkpoint_programme_202601.xlsx"):
        data = (landing / name).read_bytes()
        if name.endswith(".csv"):
            data = b"".join(data.splitlines(keepends=True)[:41])
        deliveries[name] = data
    return deliveries


# --- mutations ------------------------------------------------------------------------------

def flip(data: bytes, at: int, value: int) -> bytes:
    if not data:
        return data
    at %= len(data)
    return data[:at] + bytes([value]) + data[at + 1:]


def truncate(data: bytes, at: int, _: int) -> bytes:
    return data[: at % (len(data) + 1)]


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def shift_fields(data: bytes, at: int, _: int) -> bytes:
    """One row gains an empty field somewhere: its later values shift right."""
    lines = _lines(data)
    if len(lines) < 2:
        return data
    i = 1 + at % (len(lines) - 1)
    commas = [k for k, b in enumerate(lines[i]) if b == ord(",")]
    if commas:
        k = commas[at % len(commas)]
        lines[i] = lines[i][:k] + b"," + lines[i][k:]
    return b"".join(lines)


def swap_columns(data: bytes, at: int, other: int) -> bytes:
    """Two header names trade places: each column's values now sit under the other's name."""
    lines = _lines(data)
    if not lines:
        return data
    end = len(lines[0].rstrip(b"\r\n"))
    names = lines[0][:end].split(b",")
    i, j = at % len(names), other % len(names)
    names[i], names[j] = names[j], names[i]
    lines[0] = b",".join(names) + lines[0][end:]
    return b"".join(lines)


def repeat_or_drop_row(data: bytes, at: int, other: int) -> bytes:
    lines = _lines(data)
    if len(lines) < 2:
        return data
    i = 1 + at % (len(lines) - 1)
    if other % 2:
        lines.insert(i, lines[i])
    else:
        del lines[i]
    return b"".join(lines)


def damage_sheet_xml(data: bytes, at: int, value: int) -> bytes:
    """A byte of a worksheet's XML changed inside an otherwise valid zip (reaches openpyxl's parser)."""
    try:
        source = zipfile.ZipFile(io.BytesIO(data))
        members = [i for i in source.infolist() if i.filename.startswith("xl/worksheets/")]
    except zipfile.BadZipFile:
        return data
    if not members:
        return data
    target = members[at % len(members)].filename
    out = io.BytesIO()
    try:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for info in source.infolist():
                body = source.read(info.filename)
                archive.writestr(info, flip(body, at // len(members), value) if info.filename == target else body)
    except (zipfile.BadZipFile, zlib.error, EOFError):
        # An earlier step left a member that cannot be inflated: the file is damaged already.
        return data
    return out.getvalue()


CSV_MUTATIONS = [flip, truncate, shift_fields, swap_columns, repeat_or_drop_row]
XLSX_MUTATIONS = [flip, truncate, damage_sheet_xml]

mutation_steps = st.lists(
    st.tuples(st.integers(0, 4), st.integers(0, 2**20), st.integers(0, 255)), min_size=1, max_size=4)
# Any bytes a file name can hold on Linux (no '/', no NUL), including non-UTF-8 and control bytes.
name_bytes = st.binary(min_size=1, max_size=12).filter(
    lambda b: b"/" not in b and b"\0" not in b and b not in (b".", b".."))
# Mostly the delivery's own name, so that most examples reach the readers and the validator.
names = st.one_of(st.none(), st.none(), st.none(), st.tuples(st.sampled_from(["suffix", "whole"]), name_bytes))


def mutate(name: str, data: bytes, steps) -> bytes:
    mutations = XLSX_MUTATIONS if name.endswith(".xlsx") else CSV_MUTATIONS
    for choice, at, value in steps:
        data = mutations[choice % len(mutations)](data, at, value)
    return data


def landed_name(name: str, mangle) -> bytes:
    if mangle is None:
        return name.encode()
    how, raw = mangle
    folder, base = name.encode().split(b"/")
    return folder + b"/" + (base + raw if how == "suffix" else raw)


# --- the property ---------------------------------------------------------------------------

def ingest_and_check(files: dict[bytes, bytes]) -> list[tuple]:
    """Lay the files in a fresh landing, ingest, and check every fate; returns dq.deliveries rows."""
    with tempfile.TemporaryDirectory(prefix="hostile_prop_") as tmp:
        landing, home = Path(tmp) / "landing", Home(Path(tmp) / "home")
        for rel, data in files.items():
            path = Path(os.fsdecode(os.path.join(os.fsencode(landing), rel)))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        ingest_landing(landing, home.build_db, home.restricted_db, b"property-test-key-0123456789abcdef")
        con = duckdb.connect(str(home.build_db), read_only=True)
        try:
            rows = con.execute("""
                SELECT file_name, status, rows_read, rows_loaded, rows_quarantined, rows_duplicate, reason
                FROM dq.deliveries""").fetchall()
        finally:
            con.close()
    expected_names = {display_name(os.fsdecode(rel)) for rel in files}
    assert sorted(r[0] for r in rows) == sorted(expected_names)  # one fate per file, none twice
    for name, status, read, loaded, quarantined, duplicate, reason in rows:
        assert status in FATES, name
        event(f"fate: {status}" + (" with quarantined rows" if quarantined else ""))
        if status in ("accepted", "superseded"):
            assert read == loaded + quarantined + duplicate, name
        assert reason is None or "\n" not in reason, name
    return rows


@BOUNDED
@given(source=st.integers(0, 2), steps=mutation_steps, mangle=names)
def test_a_mutated_delivery_always_gets_a_fate_and_reconciles(originals, source, steps, mangle):
    name = sorted(originals)[source]
    data = mutate(name, originals[name], steps)
    ingest_and_check({landed_name(name, mangle): data})


@BOUNDED
@given(steps=st.lists(mutation_steps, min_size=3, max_size=3), mangles=st.lists(names, min_size=3, max_size=3))
def test_a_landing_of_mutated_deliveries_from_every_source_is_taken_whole(originals, steps, mangles):
    files = {}
    for (name, data), step, mangle in zip(sorted(originals.items()), steps, mangles):
        files[landed_name(name, mangle)] = mutate(name, data, step)
    files[b"rms/arrests_202601_v2.csv"] = originals["rms/arrests_202601.csv"]  # the same bytes again
    rows = ingest_and_check(files)
    assert len(rows) == len(files)


def test_the_mutations_change_what_they_say_they_change(originals):
    rms = originals["rms/arrests_202601.csv"]
    header = _lines(rms)[0].split(b",")
    assert _lines(swap_columns(rms, 0, 1))[0].split(b",")[:2] == [header[1], header[0]]
    assert len(_lines(repeat_or_drop_row(rms, 0, 1))) == len(_lines(rms)) + 1
    assert len(_lines(repeat_or_drop_row(rms, 0, 0))) == len(_lines(rms)) - 1
    assert _lines(shift_fields(rms, 0, 0))[1].count(b",") == _lines(rms)[1].count(b",") + 1
    assert truncate(rms, 10, 0) == rms[:10]
    workbook = originals["programme/checkpoint_programme_202601.xlsx"]
    damaged = damage_sheet_xml(workbook, 100, ord("<"))
    assert damaged != workbook and zipfile.ZipFile(io.BytesIO(damaged)).testzip() is None

