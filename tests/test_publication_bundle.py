"""The bundle on disk: files, CSV format, manifest, previous publication, revisions,
idempotence and new versions (publication.md, "The publication bundle")."""

import hashlib
import json
import time

import pytest

from pipelines.publication import write_bundle
from pipelines.publication.bundle import INDEX_NAME, build_bundle
from pipelines.publication.reference import reference
from tests.publication_sample import sample_cells, sample_deliveries, with_cell

P = "2026-10"
FIRST = "2025-10"
FILES = {
    f"checkpoint_measures_{P}.csv", f"checkpoint_measures_{P}.xlsx", f"bulletin_{P}.html",
    f"revisions_{P}.csv", f"checkpoint_outcomes_{P}.csv", "manifest.json",
}
DQ = {"rows_quarantined": 3, "alerts_raised": ["custody_202610_v2.csv rejected"]}


@pytest.fixture(scope="module")
def cells():
    c = sample_cells(FIRST, "2026-11", seed=3)
    c = with_cell(c, P, "diversions_started", count=31)
    c = with_cell(c, P, "diversions_started", "sex", "X", count=2)
    c = with_cell(c, P, "completion_rate", rate=(75, 80))  # 93.75
    return c


@pytest.fixture(scope="module")
def deliveries():
    d = sample_deliveries(FIRST, P)
    d.reverse()  # the manifest sorts them
    d += [
        {"source": "custody", "month": P, "version": 2,
         "file_name": "custody/custody_202610_v2.csv", "sha256": "a" * 64, "status": "rejected", "rows_read": None, "rows_loaded": None,
         "rows_quarantined": None, "rows_duplicate": None, "reason": "missing column"},
        {"source": "rms", "month": "2025-11", "version": 2,
         "file_name": "rms/arrests_202511_v2.csv", "sha256": "B" * 64, "status": "accepted", "rows_read": 0, "rows_loaded": 0,
         "rows_quarantined": 0, "rows_duplicate": 0, "reason": None},  # header-only
        {"source": "rms", "month": "2025-11", "version": 1, "file_name": "rms/old.csv",
         "sha256": "c" * 64, "status": "superseded", "rows_read": 5, "rows_loaded": 5,
         "rows_quarantined": 0, "rows_duplicate": 0, "reason": None},
        {"source": None, "month": None, "version": None, "file_name": "rms/~$lock.csv",
         "sha256": "d" * 64, "status": "ignored", "rows_read": None, "rows_loaded": None,
         "rows_quarantined": None, "rows_duplicate": None, "reason": "not a delivery"},
    ]
    return d


@pytest.fixture(scope="module")
def first(tmp_path_factory, cells, deliveries):
    """The first bundle of a new publications folder (shared: tests only read it)."""
    pubs = tmp_path_factory.mktemp("first") / "publications"
    return pubs, publish(pubs, cells, deliveries)


def publish(pubs, cells, deliveries, period=P, code="v1.0"):
    return write_bundle(pubs, period, cells, deliveries, DQ, code)


def digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def rows(path):
    return path.read_text(encoding="utf-8").splitlines()


# --------------------------------------------------------------------------- files


def test_first_bundle(first):
    pubs, result = first
    assert result.created and result.version == 1 and result.previous is None
    assert result.path == pubs / P
    assert {p.name for p in result.path.iterdir()} == FILES
    assert result.files == digests(result.path)
    assert sorted(p.name for p in pubs.iterdir()) == [".lock", P, INDEX_NAME]
    assert json.loads((pubs / INDEX_NAME).read_text()) == {
        "bundles": [{"folder": P, "period": P, "version": 1}]}


def test_measures_csv_format(first):
    folder = first[1].path
    data = (folder / f"checkpoint_measures_{P}.csv").read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data and data.endswith(b"\n")
    lines = data.decode("utf-8").split("\n")[:-1]
    assert lines[0] == "period,measure,breakdown,category,value,marker,status"
    for example in ("2026-10,diversions_started,total,all,31,,[p]",
                    "2026-10,diversions_started,sex,X,,[c],[p]",
                    "2026-10,completion_rate,total,all,93.8,,[p]"):
        assert example in lines
    ref = reference()
    grid = ref.grid
    parsed = [line.split(",") for line in lines[1:]]
    assert len(parsed) == 13 * len(grid)  # 2025-10 to 2026-10: 2026-11 is left out
    assert [tuple(r[1:4]) for r in parsed[: len(grid)]] == list(grid)
    assert [r[0] for r in parsed] == sorted(r[0] for r in parsed)
    for period, measure, _, _, value, marker, status in parsed:
        assert bool(value) != bool(marker)
        assert marker in ("", "[c]", "[z]", "[x]")
        assert status == ("[p]" if period == P else "[p]" if (
            measure == "cohort_completion_rate" and period >= "2026-06") else "")
        if value and ref.measure[measure].unit == "count":
            assert value.isdigit()
        elif value:
            assert value.split(".")[1].__len__() == 1


def test_no_previous_publication_means_header_only_revisions(first):
    folder = first[1].path
    assert (folder / f"revisions_{P}.csv").read_bytes() == (
        b"period,measure,breakdown,category,previous_value,new_value\n")


def test_manifest(first, deliveries):
    folder = first[1].path
    raw = (folder / "manifest.json").read_bytes()
    manifest = json.loads(raw)
    assert list(manifest) == ["period", "version", "code_version", "deliveries", "files"]
    assert (manifest["period"], manifest["version"], manifest["code_version"]) == (P, 1, "v1.0")
    entries = manifest["deliveries"]
    for e in entries:
        assert list(e) == ["source", "month", "file_name", "sha256", "rows_read", "rows_loaded",
                           "rows_quarantined", "rows_duplicate"]
        assert len(e["sha256"]) == 64 and e["sha256"] == e["sha256"].lower()
    accepted = [d for d in deliveries if d["status"] == "accepted"]
    assert len(entries) == len(accepted) == 13 * 3 + 1
    order = {"rms": 0, "custody": 1, "programme": 2}
    assert [(order[e["source"]], e["month"]) for e in entries] == sorted(
        (order[e["source"]], e["month"]) for e in entries)
    assert [e["file_name"] for e in entries[1:3]] == ["rms/arrests_202511.csv",
                                                       "rms/arrests_202511_v2.csv"]
    assert entries[2]["sha256"] == "b" * 64 and entries[2]["rows_read"] == 0
    assert not {"custody/custody_202610_v2.csv", "rms/old.csv", "rms/~$lock.csv"} & {
        e["file_name"] for e in entries}
    assert set(manifest["files"]) == FILES - {"manifest.json"}
    for name, digest in manifest["files"].items():
        assert digest == hashlib.sha256((folder / name).read_bytes()).hexdigest()
    assert raw.endswith(b"\n") and b"\r" not in raw


# --------------------------------------------------------------------------- determinism


def test_same_inputs_write_nothing_the_second_time(tmp_path, cells, deliveries):
    first = publish(tmp_path, cells, deliveries)
    before = {p.name for p in tmp_path.iterdir()}, digests(first.path), (
        tmp_path / INDEX_NAME).read_bytes()
    again = publish(tmp_path, cells.sample(frac=1, random_state=5), list(reversed(deliveries)))
    assert not again.created and again.path == first.path and again.files == first.files
    assert ({p.name for p in tmp_path.iterdir()}, digests(first.path),
            (tmp_path / INDEX_NAME).read_bytes()) == before


def test_nothing_depends_on_the_clock(tmp_path, cells, deliveries):
    a = publish(tmp_path / "a", cells, deliveries)
    time.sleep(2.1)  # zip timestamps have a two-second resolution
    b = publish(tmp_path / "b", cells, deliveries)
    assert a.files == b.files
    assert digests(a.path) == digests(b.path)


def test_build_bundle_is_pure(cells, deliveries):
    one = build_bundle(P, cells, deliveries, DQ, "v1.0")
    two = build_bundle(P, cells, deliveries, DQ, "v1.0")
    assert one == two and set(one) == FILES


# --------------------------------------------------------------------------- versions


def test_changed_inputs_write_a_new_version_and_leave_the_first(tmp_path, cells, deliveries):
    first = publish(tmp_path, cells, deliveries)
    kept = digests(first.path)
    changed = with_cell(cells, "2026-09", "offers_made", count=77)
    second = publish(tmp_path, changed, deliveries)
    assert second.created and second.version == 2 and second.path == tmp_path / f"{P}-v2"
    assert second.previous == P
    assert digests(first.path) == kept
    assert json.loads((second.path / "manifest.json").read_text())["version"] == 2
    lines = rows(second.path / f"revisions_{P}.csv")
    old = next(line for line in rows(first.path / f"checkpoint_measures_{P}.csv")
               if line.startswith("2026-09,offers_made,total,all,"))
    assert lines == ["period,measure,breakdown,category,previous_value,new_value",
                     f"2026-09,offers_made,total,all,{old.split(',')[4] or old.split(',')[5]},77"]
    assert "2026-09,offers_made,total,all,77,,[r]" in rows(
        second.path / f"checkpoint_measures_{P}.csv")
    # A third run of the changed inputs finds P-v2; a code change makes P-v3.
    assert not publish(tmp_path, changed, deliveries).created
    third = publish(tmp_path, changed, deliveries, code="v1.1")
    assert third.path.name == f"{P}-v3" and third.previous == f"{P}-v2"
    assert rows(third.path / f"revisions_{P}.csv") == lines[:1]
    assert [e["folder"] for e in json.loads((tmp_path / INDEX_NAME).read_text())["bundles"]] == [
        P, f"{P}-v2", f"{P}-v3"]


def test_previous_publication_is_the_last_written_whatever_its_period(tmp_path, cells,
                                                                     deliveries):
    october = publish(tmp_path, cells, deliveries)
    revised = with_cell(cells, "2026-09", "contracts_failed", count=66)
    revised = with_cell(revised, P, "diversions_started", count=44)
    november = publish(tmp_path, revised, deliveries, period="2026-11")
    assert november.previous == P
    before = next(line for line in rows(october.path / f"checkpoint_measures_{P}.csv")
                  if line.startswith("2026-09,contracts_failed,total,all,")).split(",")
    assert rows(november.path / "revisions_2026-11.csv")[1:] == [
        f"2026-09,contracts_failed,total,all,{before[4] or before[5]},66",
        "2026-10,diversions_started,total,all,31,44",
    ]
    measures = rows(november.path / "checkpoint_measures_2026-11.csv")
    assert "2026-10,diversions_started,total,all,44,,[r]" in measures
    assert any(line.startswith("2026-11,") and line.endswith(",[p]") for line in measures)
    # Republishing October from its own inputs after November matches the October bundle.
    again = publish(tmp_path, cells, deliveries)
    assert not again.created and again.path == october.path and again.previous is None
    # From November's inputs, October is a new version, compared with November.
    october2 = publish(tmp_path, revised, deliveries)
    assert october2.path.name == f"{P}-v2" and october2.previous == "2026-11"
    assert rows(october2.path / f"revisions_{P}.csv")[1:] == []


# --------------------------------------------------------------------------- safety


def test_a_bundle_folder_missing_from_the_index_is_an_error(tmp_path, cells, deliveries):
    (tmp_path / "2026-08").mkdir()
    with pytest.raises(RuntimeError, match="not in index.json"):
        publish(tmp_path, cells, deliveries)


def test_an_index_entry_without_its_folder_is_dropped(tmp_path, cells, deliveries):
    (tmp_path / INDEX_NAME).write_text(json.dumps(
        {"bundles": [{"folder": "2026-09", "period": "2026-09", "version": 1}]}))
    result = publish(tmp_path, cells, deliveries)
    assert result.previous is None
    assert json.loads((tmp_path / INDEX_NAME).read_text())["bundles"] == [
        {"folder": P, "period": P, "version": 1}]


def test_bad_input_writes_nothing(tmp_path, cells, deliveries):
    with pytest.raises(ValueError):
        publish(tmp_path / "pubs", cells.iloc[5:], deliveries)
    bad = [dict(deliveries[0], rows_read=None)]
    with pytest.raises(ValueError):
        publish(tmp_path / "pubs", cells, bad)
    assert not (tmp_path / "pubs").exists()


def test_deliveries_may_come_as_a_frame(tmp_path, cells, deliveries):
    import pandas as pd

    frame = build_bundle(P, cells, pd.DataFrame(deliveries), DQ, "v1.0")
    assert frame == build_bundle(P, cells, deliveries, DQ, "v1.0")
