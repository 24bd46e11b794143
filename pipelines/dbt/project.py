"""The one DbtProject of the code location (kept apart so importing it is cheap)."""

import os
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

from pipelines.paths import DBT_PROJECT_DIR
from pipelines.settings import DBT_THREADS_ENV, MEMORY_LIMIT_ENV, dbt_threads, home_from_env, memory_limit


def dbt_environment(home) -> dict[str, str]:
    """What the dbt profile reads (dbt_project/profiles.yml): the build database of this home,
    DuckDB's memory limit and where it spills beyond it (DuckDB makes the folder when it
    first spills, under the owner-only umask), and dbt's threads."""
    return {"CHECKPOINT_BUILD_DB": str(home.build_db), MEMORY_LIMIT_ENV: memory_limit(),
            "CHECKPOINT_DUCKDB_SPILL": str(home.spill), DBT_THREADS_ENV: str(dbt_threads())}


@cache
def dbt_project() -> DbtProject:
    # `dagster dev` parses through a `dbt` found on PATH and a profile that names the build
    # database: make both resolve to this installation and this home, activated venv or not.
    venv_bin = str(Path(sys.executable).parent)
    if venv_bin not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([venv_bin, os.environ.get("PATH", "")])
    for name, value in dbt_environment(home_from_env()).items():
        os.environ.setdefault(name, value)
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    # `dagster dev` parses on load; tests and CI run `dbt parse` first (scripts/setup.sh).
    project.prepare_if_dev()
    return project
