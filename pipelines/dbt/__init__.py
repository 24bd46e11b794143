"""dbt inside Dagster: one cached DbtProject, the models as assets."""
