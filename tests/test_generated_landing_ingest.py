"""A generated landing folder with every fault loads exactly as the generator predicts."""

from __future__ import annotations

import duckdb

from generator import generate_landing
from pipelines.ingest.load import ingest_landing
from pipelines.ingest.reconcile import reconciliation_failures
from pipelines.settings import Home

# The generator's word for a fate, and what dq.deliveries says once the whole folder is in.
FINAL_STATUS = {"accepted": "accepted", "accepted (replaces v1)": "accepted", "duplicate": "duplicate",
                "ignored": "ignored", "rejected": "rejected"}


def test_every_generated_delivery_reconciles_and_matches_its_planted_faults(tmp_path):
    landing, home = tmp_path / "landing", Home(tmp_path / "home")
    summary = generate_landing(landing, start="2025-01", months=3, scale="durham", seed=5)
    ingest_landing(landing, home.build_db, home.restricted_db, b"k")
    con = duckdb.connect(str(home.build_db), read_only=True)
    rows = {r[0]: r[1:] for r in con.execute("""
        SELECT file_name, status, rows_read, rows_loaded, rows_quarantined, rows_duplicate FROM dq.deliveries
    """).fetchall()}
    assert reconciliation_failures(con) == []  # rows folded by a later snapshot included
    assert con.execute("SELECT sum(rows_folded) FROM dq.snapshot_folds").fetchone()[0] > 0
    con.close()
    assert set(rows) == {f["path"] for f in summary["files"]}
    replaced = {f["path"].replace("_v2", "") for f in summary["files"] if f["expected_fate"] == "accepted (replaces v1)"}
    for planned in summary["files"]:
        status, read, loaded, quarantined, duplicate = rows[planned["path"]]
        expected = "superseded" if planned["path"] in replaced else FINAL_STATUS[planned["expected_fate"]]
        assert status == expected, planned["path"]
        if status in ("accepted", "superseded"):
            assert read == loaded + quarantined + duplicate
            counts = planned["expected_counts"]
            assert (read, loaded, quarantined, duplicate) == (
                counts["rows_read"], counts["rows_loaded"], counts["rows_quarantined"], counts["rows_duplicate"]
            ), planned["path"]
    assert {"rejected", "duplicate", "ignored", "superseded"} <= {r[0] for r in rows.values()}

    # The reconciliation can fail on folds: rows folded out of raw but not recorded show.
    con = duckdb.connect(str(home.build_db))
    (folded_file,) = con.execute("SELECT min(file_name) FROM dq.snapshot_folds").fetchone()
    con.execute("DELETE FROM dq.snapshot_folds WHERE file_name = ?", [folded_file])
    assert [d.file_name for d in reconciliation_failures(con)] == [folded_file]
    con.close()


def _contents(build_db, restricted_db) -> dict[str, list[tuple]]:
    """Every table's rows, sorted, without the columns that say when (which differ by run)."""
    out = {}
    for path in (build_db, restricted_db):
        con = duckdb.connect(str(path), read_only=True)
        tables = con.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall()
        for schema, name in tables:
            columns = [c for c, t in con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? "
                "AND table_name = ? ORDER BY ordinal_position", [schema, name]).fetchall()
                       if not t.startswith("TIMESTAMP WITH TIME ZONE") and not c.endswith("_at")]
            select = ", ".join(f'"{c}"' for c in columns)
            out[f"{path.name}:{schema}.{name}"] = sorted(
                con.execute(f'SELECT {select} FROM "{schema}"."{name}"').fetchall(), key=repr)
        con.close()
    return out


def test_deliveries_prepared_ahead_in_a_second_process_load_exactly_as_in_one(tmp_path):
    """Reading and checking the next delivery in a worker while one loads changes nothing:
    every fault of a generated landing ends in the same rows, reasons, events and digests."""
    landing = tmp_path / "landing"
    generate_landing(landing, start="2025-01", months=3, scale="durham", seed=5)
    contents = []
    for ahead in (False, True):
        home = Home(tmp_path / f"home_{ahead}")
        ingest_landing(landing, home.build_db, home.restricted_db, b"k", prepare_ahead=ahead)
        contents.append(_contents(home.build_db, home.restricted_db))
    one, two = contents
    assert one.keys() == two.keys() and any(rows for rows in one.values())
    for table in one:
        assert one[table] == two[table], table
