"""The one DbtProject of the code location (kept apart so importing it is cheap)."""

import os
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

from pipelines.paths import DBT_PROJECT_DIR
from pipelines.settings import home_from_env


def dbt_environment(home) -> dict[str, str]:
    """What the dbt profile reads (dbt_project/profiles.yml): the build database of this home."""
    return {"CHECKPOINT_BUILD_DB": str(home.build_db)}


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
