"""The validator's rows fetched from DuckDB as Arrow (``frame_of_arrow``) are the frame DuckDB's
``df()`` makes of the same result: the same values, nulls and dtypes, for any rows (but for a
text column with no value, which ``df()`` leaves Python objects and Arrow makes ``str``)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.ingest.validate import frame_of_arrow
from pipelines.settings import connect

COLUMNS = "n INTEGER, big BIGINT, day DATE, moment TIMESTAMP, amount DOUBLE, label VARCHAR"
QUERY = "SELECT * FROM t ORDER BY rowid"

rows = st.lists(st.tuples(
    st.none() | st.integers(-2**31, 2**31 - 1),
    st.integers(-2**63, 2**63 - 1),
    st.none() | st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
    st.none() | st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1)),
    st.none() | st.floats(allow_nan=False),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)), max_size=20)


def both_frames(values: list[tuple]) -> tuple[pd.DataFrame, pd.DataFrame]:
    con = connect()
    con.execute(f"CREATE TABLE t ({COLUMNS})")
    if values:
        con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", values)
    return con.execute(QUERY).df(), frame_of_arrow(con.sql(QUERY).to_arrow_table())


@settings(max_examples=60, deadline=None)
@given(rows)
def test_the_arrow_frame_is_the_frame_duckdb_makes(values):
    by_duckdb, by_arrow = both_frames(values)
    objects = [name for name, dtype in by_duckdb.dtypes.items() if dtype == object]
    assert all(by_duckdb[name].isna().all() for name in objects)  # a text column with no value
    pd.testing.assert_frame_equal(by_arrow, by_duckdb.astype(dict.fromkeys(objects, "str")))


def test_a_whole_number_column_is_nullable_only_where_it_holds_a_null():
    _, by_arrow = both_frames([(1, 2, None, None, None, "a"), (None, 3, None, None, None, "b")])
    assert str(by_arrow["n"].dtype) == "Int32" and str(by_arrow["big"].dtype) == "int64"
    assert by_arrow["n"].isna().tolist() == [False, True]
    assert str(by_arrow["day"].dtype) == "datetime64[us]"
