"""dbt's Dagster definitions: every dbt model, seed and test as assets and checks, fed by the ingest assets."""


import json
import os
import sys
from collections.abc import Mapping, Sequence
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets
from packaging.version import Version

from pipelines.dbt import incremental
from pipelines.dbt.project import dbt_environment, dbt_project
from pipelines.warehouse.publish import record_analyst_views
from pipelines.settings import home_from_env


class CheckpointTranslator(DagsterDbtTranslator):
    """dbt sources `raw.*` and `dq.*` are the ingest assets of the same names."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        schema = dbt_resource_props.get("config", {}).get("schema") or "main"
        return dg.AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "models"


@dbt_assets(
    manifest=dbt_project().manifest_path,
    dagster_dbt_translator=CheckpointTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
)
def checkpoint_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    home = home_from_env()
    os.environ.update(dbt_environment(home))
    with home.exclusive_writer():
        manifest = json.loads(dbt_project().manifest_path.read_text(encoding="utf-8"))
        definitions = incremental.definitions_fingerprint(manifest)
        whole_build = not context.is_subset
        changes = incremental.build_environment(incremental.read_state(home.dbt_incremental), definitions, whole_build)
        taken_in = incremental.latest_seen_order(home.build_db)
        home.dbt_incremental.unlink(missing_ok=True)  # a build that does not finish leaves no state
        context.log.info("dbt rebuilds " + (f"the keys changed since delivery {changes[incremental.CHANGES_ENV]}"
                                            if changes else "every key"))
        # Unit tests pin the SQL and run in the test suite; a production run builds and tests data.
        # target and logs under the home, one folder rewritten per run, not a new one in dbt_project/target/
        arguments = ["build", "--exclude-resource-type", "unit_test"]
        # Changed keys only, or every key from scratch: a table built by other definitions is
        # dropped rather than rewritten row by row.
        arguments += [] if changes else ["--full-refresh"]
        with incremental.changes_in_environment(changes):  # dbt's process starts within
            invocation = dbt.cli(arguments, context=context, target_path=home.dbt_target)
        yield from invocation.stream()
        if whole_build:
            incremental.write_state(home.dbt_incremental, incremental.IncrementalState(taken_in, definitions))
            if not changes:
                record_analyst_views(invocation.get_artifact("manifest.json"), home.analyst_views)
        owner_only(home.dbt_target)


def owner_only(folder: Path) -> None:
    # dagster-dbt copies the project's partial_parse.msgpack into the run folder with its mode
    # (made by `dbt parse` under the caller's umask): the home stays owner-only all the same.
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode & 0o700)


class CheckpointDbtCli(DbtCliResource):
    """dagster-dbt's resource without two things it does before starting each dbt process
    that this project has no use for: asking the executable its version (`dbt --version`,
    a process that imports dbt-core: 3.3 s here) and opening a dbt adapter in Dagster's own
    process (for column metadata and row counts, which no asset fetches: about 1.5 s).
    Together they were 4.7 s of every run's dbt step (dagster-dbt's private methods, pinned
    by requirements.lock; every test that materialises the dbt assets runs through them)."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))  # the executable is this environment's dbt

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


def dbt_resource() -> DbtCliResource:
    # The dbt beside this interpreter: the venv's, whether or not it is on PATH.
    return CheckpointDbtCli(project_dir=dbt_project(), dbt_executable=str(Path(sys.executable).parent / "dbt"))


defs = dg.Definitions(assets=[checkpoint_dbt_models], resources={"dbt": dbt_resource()})
