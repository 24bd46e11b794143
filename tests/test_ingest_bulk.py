"""Set-based ingest (issue 12): the bulk forms give exactly what the row-by-row forms gave."""

from __future__ import annotations

import hashlib
import hmac
import json
import os

import duckdb
import pytest

from pipelines.ingest.digests import keyed_digests
from pipelines.ingest import discovery
from pipelines.ingest.discovery import read_once, remembered_digest, sha256_of, take_unseen
from pipelines.ingest.load import insert_bulk


@pytest.mark.parametrize("key", [b"k", b"k" * 32, b"k" * 64, b"k" * 65, os.urandom(200)])
def test_bulk_digests_are_hmac_sha256(key):
    texts = ["", "DUR-A-0000001\x1f2", "Zoë O'Brien", "x" * 1000]
    assert keyed_digests(key, texts) == [hmac.new(key, t.encode(), hashlib.sha256).hexdigest() for t in texts]


def test_bulk_insert_keeps_types_nulls_and_order(tmp_path):
    con = duckdb.connect(str(tmp_path / "t.duckdb"))
    con.execute("CREATE TABLE t (a VARCHAR, n INTEGER, b VARCHAR)")
    insert_bulk(con, "t", ["a", "n", "b"], [("x", 1, None), (None, 2, "O'Hara; y"), ("z", 3, None)])
    insert_bulk(con, "t", ["a", "n", "b"], [])
    assert con.execute("SELECT * FROM t").fetchall() == [("x", 1, None), (None, 2, "O'Hara; y"), ("z", 3, None)]
    con.close()


def test_a_digest_is_remembered_only_for_a_settled_file_and_forgotten_when_it_changes(tmp_path):
    path = tmp_path / "arrests_202601.csv"
    path.write_bytes(b"a,b\n1,2\n")
    read_once(path, keep_up_to=100)
    assert remembered_digest(path) is None  # written just now: may change again within a tick
    settled = os.stat(path).st_mtime_ns - 10_000_000_000
    os.utime(path, ns=(settled, settled))  # the change time is now; age it by reading later
    os.stat(path)
    real_settled = discovery._SETTLED_NS
    discovery._SETTLED_NS = 0  # judge the file settled as soon as it was changed
    try:
        digest, _ = read_once(path, keep_up_to=100)
        assert remembered_digest(path) == digest == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
        path.write_bytes(b"a,b\n1,3\n")  # same size, new bytes: a new change time
        assert remembered_digest(path) is None
        assert sha256_of(path) == hashlib.sha256(b"a,b\n1,3\n").hexdigest()
    finally:
        discovery._SETTLED_NS = real_settled


def test_digests_kept_by_one_process_spare_the_next_reading_the_files_that_still_stand(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    (landing / "rms").mkdir(parents=True)
    kept, changed, gone = (landing / "rms" / f"arrests_20260{m}.csv" for m in (1, 2, 3))
    for path in (kept, changed, gone):
        path.write_bytes(b"a,b\n1,2\n")
        aged = os.stat(path).st_mtime_ns - 10_000_000_000
        os.utime(path, ns=(aged, aged))  # so that rewriting it gives a new modification time, whatever the clock's tick
    monkeypatch.setattr(discovery, "_SETTLED_NS", 0)  # each file settled as soon as written
    monkeypatch.setattr(discovery, "_DIGESTS", {})  # a process of its own
    digest = sha256_of(kept)
    assert sha256_of(changed) == sha256_of(gone) == digest
    record = tmp_path / "landing_digests.json"
    discovery.keep_digests(record, landing)

    changed.write_bytes(b"a,b\n1,3\n")  # same size, new bytes: a new identity
    gone.unlink()
    monkeypatch.setattr(discovery, "_DIGESTS", {})  # the next process
    discovery.recall_digests(record)
    assert remembered_digest(kept) == digest
    assert remembered_digest(changed) is None
    seen = [("rms/arrests_202601.csv", digest, "accepted"), ("rms/arrests_202602.csv", digest, "accepted")]
    assert [(f.file_name, f.sha256) for f, _ in take_unseen(landing, seen)] == [
        ("rms/arrests_202602.csv", hashlib.sha256(b"a,b\n1,3\n").hexdigest())]
    discovery.keep_digests(record, landing)  # the file gone leaves the record; the one changed is kept anew
    assert sorted((f["path"], f["sha256"]) for f in json.loads(record.read_text())["files"]) == [
        (str(kept), digest), (str(changed), hashlib.sha256(b"a,b\n1,3\n").hexdigest())]


@pytest.mark.parametrize("text", ["", "{", "[]", '{"files": [{"path": "x"}]}', '{"files": 3}'])
def test_a_record_of_digests_not_as_kept_spares_nothing_and_stops_nothing(tmp_path, monkeypatch, text):
    path = tmp_path / "arrests_202601.csv"
    path.write_bytes(b"a,b\n1,2\n")
    monkeypatch.setattr(discovery, "_DIGESTS", {})
    record = tmp_path / "landing_digests.json"
    record.write_text(text)
    discovery.recall_digests(record)
    discovery.recall_digests(tmp_path / "missing.json")
    assert discovery._DIGESTS == {} and remembered_digest(path) is None
