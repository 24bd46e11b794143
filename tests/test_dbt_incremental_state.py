"""What the next dbt build rebuilds, and which SQL the analyst views take (pure parts)."""

from __future__ import annotations

import copy
import json
import os

import duckdb
import pytest

from pipelines.dbt.incremental import (CHANGES_ENV, IncrementalState, build_environment, changes_in_environment,
                                       definitions_fingerprint, latest_seen_order, read_state, write_state)
from pipelines.warehouse.publish import (AnalystCopyPlan, ChangedKeys, analyst_copy_plan, analyst_view_sql,
                                         changed_key_copies, record_analyst_views)


def model(name: str, checksum: str, sql: str = "", copy_as: str | None = None, depends_on: tuple[str, ...] = (),
          columns: tuple[str, ...] = ()) -> dict:
    return {"resource_type": "model", "schema": "intermediate", "alias": name, "checksum": {"checksum": checksum},
            "config": {"meta": {"analyst_copy": copy_as} if copy_as else {}}, "compiled_code": sql,
            "depends_on": {"nodes": list(depends_on)}, "columns": {c: {"name": c} for c in columns}}


def manifest() -> dict:
    return {
        "metadata": {"project_name": "checkpoint"},
        "nodes": {
            "model.checkpoint.int_a": model("int_a", "a1", "select 1 as a", "view"),
            "model.checkpoint.int_changes": model("int_changes", "c1", "select 2", "omit", columns=("a",)),
            "model.checkpoint.fct_b": model("fct_b", "b1", "select 3"),
            "seed.checkpoint.ref_codes": {"resource_type": "seed", "checksum": {"checksum": "s1"}, "config": {}},
            "test.checkpoint.unique_a": {"resource_type": "test", "checksum": {"checksum": "t1"}, "config": {}},
        },
        "macros": {
            "macro.checkpoint.period_of": {"package_name": "checkpoint", "macro_sql": "{% macro period_of() %}"},
            "macro.dbt.is_incremental": {"package_name": "dbt", "macro_sql": "{% macro is_incremental() %}"},
        },
    }


def test_the_fingerprint_follows_models_seeds_and_the_projects_macros_only():
    base = definitions_fingerprint(manifest())
    for path, value in [(("nodes", "model.checkpoint.fct_b", "checksum", "checksum"), "b2"),
                        (("nodes", "seed.checkpoint.ref_codes", "checksum", "checksum"), "s2"),
                        (("macros", "macro.checkpoint.period_of", "macro_sql"), "{% macro period_of(x) %}")]:
        changed = manifest()
        changed[path[0]][path[1]][path[2]] = value if len(path) == 3 else {path[3]: value}
        assert definitions_fingerprint(changed) != base, path
    unchanged = manifest()
    unchanged["nodes"]["test.checkpoint.unique_a"]["checksum"]["checksum"] = "t2"
    unchanged["macros"]["macro.dbt.is_incremental"]["macro_sql"] = "changed"
    assert definitions_fingerprint(unchanged) == base


def test_only_a_whole_build_on_the_same_definitions_rebuilds_changed_keys_only():
    state = IncrementalState(41, "defs")
    assert build_environment(state, "defs", whole_build=True) == {CHANGES_ENV: "41"}
    assert build_environment(None, "defs", whole_build=True) == {}
    assert build_environment(state, "other", whole_build=True) == {}
    assert build_environment(state, "defs", whole_build=False) == {}


def test_dbt_sees_the_changes_variable_only_as_given_and_the_caller_keeps_its_own(monkeypatch):
    monkeypatch.setenv(CHANGES_ENV, "7")  # left in the caller's environment
    with changes_in_environment({}):
        assert CHANGES_ENV not in os.environ  # a build of every key
    assert os.environ[CHANGES_ENV] == "7"
    with changes_in_environment({CHANGES_ENV: "41"}):
        assert os.environ[CHANGES_ENV] == "41"
    assert os.environ[CHANGES_ENV] == "7"
    monkeypatch.delenv(CHANGES_ENV)
    with changes_in_environment({CHANGES_ENV: "41"}):
        pass
    assert CHANGES_ENV not in os.environ


def test_the_state_round_trips_and_its_absence_reads_as_none(tmp_path):
    path = tmp_path / "dbt_incremental.json"
    assert read_state(path) is None
    write_state(path, IncrementalState(7, "defs"))
    assert read_state(path) == IncrementalState(7, "defs")


def test_the_latest_delivery_taken_in(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    assert latest_seen_order(db) == 0
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA dq")
    con.close()
    assert latest_seen_order(db) == 0
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE dq.deliveries AS SELECT * FROM (VALUES (3), (12), (5)) t(seen_order)")
    con.close()
    assert latest_seen_order(db) == 12


def test_analyst_views_take_the_sql_kept_for_the_same_definitions(tmp_path):
    target, record = tmp_path / "dbt", tmp_path / "analyst_views.json"
    target.mkdir()
    built = manifest()
    record_analyst_views(built, record)
    incremental_build = copy.deepcopy(built)  # same definitions, SQL of the changed keys only
    incremental_build["nodes"]["model.checkpoint.int_a"]["compiled_code"] = "select 1 as a where false"
    (target / "manifest.json").write_text(json.dumps(incremental_build))
    plan = analyst_copy_plan(target, record)
    assert plan.views == {("intermediate", "int_a"): "select 1 as a"}
    assert plan.omitted == {("intermediate", "int_changes")}

    redefined = copy.deepcopy(incremental_build)  # changed definitions: no kept SQL stands for them
    redefined["nodes"]["model.checkpoint.int_a"]["checksum"]["checksum"] = "a2"
    (target / "manifest.json").write_text(json.dumps(redefined))
    assert analyst_copy_plan(target, record) == AnalystCopyPlan({}, frozenset({("intermediate", "int_changes")}), {})


def test_an_unknown_analyst_copy_is_an_error():
    marked = manifest()
    marked["nodes"]["model.checkpoint.fct_b"]["config"]["meta"] = {"analyst_copy": "table"}
    with pytest.raises(ValueError, match="fct_b: table"):
        analyst_view_sql(marked)


def test_a_table_refreshed_by_changed_keys_takes_the_key_of_the_working_set_it_depends_on():
    marked = manifest()
    marked["nodes"]["model.checkpoint.fct_b"] = model("fct_b", "b1", "select 3", "changed_keys",
                                                      depends_on=("model.checkpoint.int_a", "model.checkpoint.int_changes"))
    assert changed_key_copies(marked) == {("intermediate", "fct_b"): ChangedKeys("a", ("intermediate", "int_changes"))}


@pytest.mark.parametrize("depends_on, columns", [
    (("model.checkpoint.int_a",), ("a",)),  # no working set among its dependencies
    (("model.checkpoint.int_changes",), ("a", "b")),  # a working set of two columns: which is the key?
])
def test_a_table_refreshed_by_changed_keys_without_one_working_set_key_is_an_error(depends_on, columns):
    marked = manifest()
    marked["nodes"]["model.checkpoint.int_changes"]["columns"] = {c: {"name": c} for c in columns}
    marked["nodes"]["model.checkpoint.fct_b"] = model("fct_b", "b1", "select 3", "changed_keys", depends_on=depends_on)
    with pytest.raises(ValueError, match="fct_b: analyst_copy changed_keys needs one working set"):
        changed_key_copies(marked)
