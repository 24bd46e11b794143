"""Settings read from the environment: defaults, overrides and refusals."""

import os

import pytest

from pipelines.settings import DBT_THREADS_ENV, dbt_threads


def test_dbt_runs_a_thread_per_core_unless_told():
    assert dbt_threads({}) == max(1, os.cpu_count() or 1)
    assert dbt_threads({DBT_THREADS_ENV: "3"}) == 3


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_dbt_threads_that_are_not_a_positive_whole_number_are_refused(value):
    with pytest.raises(ValueError, match=DBT_THREADS_ENV):
        dbt_threads({DBT_THREADS_ENV: value})
