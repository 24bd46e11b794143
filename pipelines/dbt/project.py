"""The one DbtProject of the code location (kept apart so importing it is cheap)."""

from functools import cache

from dagster_dbt import DbtProject

from pipelines.paths import DBT_PROJECT_DIR


@cache
def dbt_project() -> DbtProject:
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    # `dagster dev` parses on load; tests and CI run `dbt parse` first (see .ci/run).
    project.prepare_if_dev()
    return project
