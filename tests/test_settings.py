"""Settings read from the environment: defaults, overrides and refusals."""

import os
import subprocess
import sys

import pytest

from pipelines.paths import REPO_ROOT
from pipelines.settings import DBT_THREADS_ENV, dbt_threads


def test_dbt_runs_a_thread_per_core_unless_told():
    assert dbt_threads({}) == max(1, os.cpu_count() or 1)
    assert dbt_threads({DBT_THREADS_ENV: "3"}) == 3


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_dbt_threads_that_are_not_a_positive_whole_number_are_refused(value):
    with pytest.raises(ValueError, match=DBT_THREADS_ENV):
        dbt_threads({DBT_THREADS_ENV: value})


# A query long enough to be timed, with DuckDB told to draw its bar after 0 ms rather than 2 s.
_LONG_QUERY = """
import sys
import duckdb
from pipelines.settings import connect
con = connect() if sys.argv[1] == "pipeline" else duckdb.connect()
con.execute("SET progress_bar_time = 0")
con.execute("SELECT sum(i) FROM range(200000000) t(i)").fetchone()
"""


def _printed_by_a_long_query(opened_by: str) -> str:
    done = subprocess.run([sys.executable, "-c", _LONG_QUERY, opened_by], capture_output=True, text=True,
                          timeout=120, check=True)
    return done.stdout + done.stderr


def test_a_pipeline_connection_prints_no_progress_bar():
    """DuckDB draws a progress bar on standard output for a long query; the pipeline's
    connections must not (the first load of ten national years: seven bars among `run`'s stage lines)."""
    assert "%" in _printed_by_a_long_query("plain")  # DuckDB's own default draws one
    assert _printed_by_a_long_query("pipeline") == ""


def test_every_duckdb_connection_of_the_pipeline_is_opened_by_settings_connect():
    opened = sorted(str(path.relative_to(REPO_ROOT)) for path in (REPO_ROOT / "pipelines").rglob("*.py")
                    if "duckdb.connect(" in path.read_text(encoding="utf-8"))
    assert opened == ["pipelines/settings.py"]
