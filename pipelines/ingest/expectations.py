"""Great Expectations 1.x suites derived from the source contracts, and the pre-commit gate.

The suites are not written by hand: each contract column's declaration (required, code
list, pattern, bounds) becomes expectations, so a rule lives once, in the contract. The
JSON copies in ``expectations/`` are generated (``checkpoint-warehouse expectations``) and a
test keeps them equal to what the contracts say. GX validates the rows a delivery is about
to load, on a pandas batch, before the load transaction commits: our own validator and GX
must agree that nothing invalid gets through.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import pandas as pd

from pipelines.contracts import Column, Table, all_contracts
from pipelines.paths import EXPECTATIONS_DIR


def suite_name(source: str, table: Table) -> str:
    return f"{source}__{table.name}"


def column_expectations(column: Column) -> list[dict]:
    """The GX expectations (type and kwargs) implied by one contract column."""
    if column.pii:
        return []  # personal data never reaches the warehouse, so the gate never sees it
    out = []
    name = column.name
    if not column.nullable:
        out.append({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": name}})
    if column.codes:
        out.append({"type": "expect_column_values_to_be_in_set",
                    "kwargs": {"column": name, "value_set": list(column.codes)}})
    if column.type == "flag":
        out.append({"type": "expect_column_values_to_be_in_set",
                    "kwargs": {"column": name, "value_set": ["Y", "N"]}})
    if column.pattern:
        out.append({"type": "expect_column_values_to_match_regex",
                    "kwargs": {"column": name, "regex": column.pattern}})
    if column.minimum is not None or column.maximum is not None:
        out.append({"type": "expect_column_values_to_be_between",
                    "kwargs": {"column": name, "min_value": column.minimum, "max_value": column.maximum}})
    return out


def suite_definition(source: str, table: Table) -> dict:
    expectations = [{"type": "expect_table_columns_to_match_set",
                     "kwargs": {"column_set": [c.name for c in table.columns if not c.pii],
                                "exact_match": True}}]
    for column in table.columns:
        expectations += column_expectations(column)
    return {"name": suite_name(source, table), "expectations": expectations}


def all_suite_definitions() -> dict[str, dict]:
    return {suite_name(c.source, t): suite_definition(c.source, t)
            for c in all_contracts() for t in c.tables}


def write_suites() -> list[str]:
    """Regenerate ``expectations/*.json`` from the contracts."""
    EXPECTATIONS_DIR.mkdir(exist_ok=True)
    written = []
    for name, definition in all_suite_definitions().items():
        path = EXPECTATIONS_DIR / f"{name}.json"
        path.write_text(json.dumps(definition, indent=2) + "\n", encoding="utf-8")
        written.append(path.name)
    return written


@dataclass
class ExpectationResult:
    suite: str
    expectation: str
    column_name: str | None
    success: bool
    unexpected_count: int
    element_count: int


def gate_frame(table: Table, to_load: pd.DataFrame) -> pd.DataFrame:
    """The typed, non-personal columns of the rows about to load, as GX should see them.

    Dates stay datetime64 (NaT is null to GX): boxing them as Python objects cost more than
    the validation itself on a national month, and GX's results are the same. Columns held to
    a code list or Y/N are categorical: their values, nulls and GX's results are the same, and
    GX's set and regex checks then work on the few distinct values (40% of the gate's time on
    a national month)."""
    frame = to_load[[c.name for c in table.columns if not c.pii]].copy()
    for column in table.columns:
        if not column.pii and (column.codes or column.type == "flag"):
            frame[column.name] = frame[column.name].astype("category")
    return frame


def validate_with_gx(suite: dict, frame: pd.DataFrame) -> list[ExpectationResult]:
    """Run one suite on a pandas batch (GX's SQL datasource over duckdb fails silently)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx  # ~4 s to import: only when a delivery is validated
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    batch = (context.data_sources.add_pandas("delivery")
             .add_dataframe_asset("rows")
             .add_batch_definition_whole_dataframe("all")
             .get_batch(batch_parameters={"dataframe": frame}))
    gx_suite = gx.ExpectationSuite(name=suite["name"])
    for expectation in suite["expectations"]:
        gx_suite.add_expectation_configuration(
            ExpectationConfiguration(type=expectation["type"], kwargs=expectation["kwargs"]))
    # BASIC still counts the unexpected values; the default (SUMMARY) also tallies them by
    # value, which the gate does not keep and which cost a third of its fixed time.
    validation = batch.validate(gx_suite, result_format="BASIC")
    results = []
    for result in validation.results:
        config = result.expectation_config
        results.append(ExpectationResult(
            suite=suite["name"],
            expectation=config.type,
            column_name=config.kwargs.get("column"),
            success=bool(result.success),
            unexpected_count=int(result.result.get("unexpected_count") or 0),
            element_count=int(result.result.get("element_count") or len(frame)),
        ))
    return results
