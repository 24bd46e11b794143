"""Analysts read the warehouse while the pipeline writes: neither blocks the other."""

from __future__ import annotations

import duckdb

from pipelines.ingest.load import ingest_landing
from pipelines.settings import Home
from pipelines.warehouse.publish import publish_warehouse
from tests.ingest_files import rms_row, write_rms


def test_an_open_analyst_connection_neither_blocks_nor_sees_a_half_built_warehouse(tmp_path):
    landing, home = tmp_path / "landing", Home(tmp_path / "home")
    write_rms(landing / "rms/arrests_202610.csv", [rms_row("DUR-A-0000001")])
    ingest_landing(landing, home.build_db, home.restricted_db, b"k")
    publish_warehouse(home.build_db, home.warehouse_db)

    analyst = duckdb.connect(str(home.warehouse_db), read_only=True)
    count = "SELECT count(*) FROM raw.rms_arrests"
    assert analyst.execute(count).fetchone() == (1,)

    # The pipeline loads and publishes a new month while the analyst's connection is open.
    write_rms(landing / "rms/arrests_202611.csv",
              [rms_row("DUR-A-0000002", updated="2026-11-02T10:00:00")])
    ingest_landing(landing, home.build_db, home.restricted_db, b"k")
    publish_warehouse(home.build_db, home.warehouse_db)

    assert analyst.execute(count).fetchone() == (1,)  # still the consistent file it opened
    analyst.close()
    fresh = duckdb.connect(str(home.warehouse_db), read_only=True)
    assert fresh.execute(count).fetchone() == (2,)
    # A second analyst at the same time is fine too: read-only opens share the file.
    other = duckdb.connect(str(home.warehouse_db), read_only=True)
    assert other.execute("SELECT count(*) FROM dq.deliveries").fetchone() == (2,)
    fresh.close()
    other.close()
    assert not list(home.warehouse_db.parent.glob(".*.incoming"))
