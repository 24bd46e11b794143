"""The analyst file is a compact copy of the build (issue 12): rebuilding the same models
does not make it grow, although the build file keeps the blocks each rebuild freed."""

from __future__ import annotations

import duckdb

from pipelines.settings import Home
from pipelines.warehouse.publish import publish_warehouse


def _rebuild_models(build_db) -> None:
    """What dbt-duckdb does to a table model: build it beside the old one, swap, drop the old."""
    con = duckdb.connect(str(build_db))
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'facts'").fetchone()[0]
        con.execute("""CREATE TABLE marts.facts__dbt_tmp AS
                       SELECT range AS id, md5(range::VARCHAR) AS digest, range % 43 AS force
                       FROM range(400000)""")
        con.execute("BEGIN")
        if exists:
            con.execute("ALTER TABLE marts.facts RENAME TO facts__dbt_backup")
        con.execute("ALTER TABLE marts.facts__dbt_tmp RENAME TO facts")
        if exists:
            con.execute("DROP TABLE marts.facts__dbt_backup")
        con.execute("COMMIT")
        # A view naming its catalog, as dbt's views do: it must still resolve in the copy.
        con.execute("CREATE OR REPLACE VIEW marts.by_force AS "
                    "SELECT force, count(*) AS n FROM warehouse.marts.facts GROUP BY force")
    finally:
        con.close()


def test_the_analyst_file_keeps_its_size_across_identical_rebuilds(tmp_path):
    home = Home(tmp_path / "home")
    home.build_db.parent.mkdir(parents=True)
    sizes, build_sizes = [], []
    for _ in range(4):
        _rebuild_models(home.build_db)
        sizes.append(publish_warehouse(home.build_db, home.warehouse_db, home.spill).bytes)
        build_sizes.append(home.build_db.stat().st_size)
    # The build file grows with freed blocks (what a byte copy would publish) ...
    assert build_sizes[-1] > build_sizes[0] * 1.3, build_sizes
    # ... the analyst file does not.
    assert max(sizes) <= sizes[0] * 1.05, sizes
    analyst = duckdb.connect(str(home.warehouse_db), read_only=True)
    try:
        assert analyst.execute("SELECT count(*), count(DISTINCT digest) FROM marts.facts").fetchone() == (400000, 400000)
        assert analyst.execute("SELECT sum(n) FROM marts.by_force").fetchone() == (400000,)
    finally:
        analyst.close()
    assert not list(home.warehouse_db.parent.glob(".*.incoming*"))
    assert oct(home.warehouse_db.stat().st_mode & 0o777) == oct(0o644)
