"""Great Expectations 1.x suites derived from the source contracts, and the pre-commit gate.

The suites are not written by hand: each contract column's declaration (required, code
list, pattern, bounds) becomes expectations, so a rule lives once, in the contract. The
JSON copies in ``expectations/`` are generated (``checkpoint-warehouse expectations``) and a
test keeps them equal to what the contracts say. GX validates a delivery's checked rows, on
a pandas batch, where the delivery is prepared; its findings are read on the rows about to
load, before the load transaction commits: our own validator and GX must agree that nothing
invalid gets through.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace

import pandas as pd

from pipelines.contracts import Column, Table, all_contracts
from pipelines.ingest.validate import coded_as_categories
from pipelines.paths import EXPECTATIONS_DIR


# The expectations that judge each value by itself, so that their findings on a frame can be
# read on any subset of its rows (``results_on_rows``). An expectation that compares rows
# (uniqueness, say) would need GX run again on the rows that load.
NOT_NULL, IN_SET, MATCHES = ("expect_column_values_to_not_be_null", "expect_column_values_to_be_in_set",
                              "expect_column_values_to_match_regex")
BETWEEN = "expect_column_values_to_be_between"
PER_VALUE_EXPECTATIONS = frozenset({NOT_NULL, IN_SET, MATCHES, BETWEEN})


def suite_name(source: str, table: Table) -> str:
    return f"{source}__{table.name}"


def column_expectations(column: Column) -> list[dict]:
    """The GX expectations (type and kwargs) implied by one contract column."""
    if column.pii:
        return []  # personal data never reaches the warehouse, so the gate never sees it
    out = []
    name = column.name
    if not column.nullable:
        out.append({"type": NOT_NULL, "kwargs": {"column": name}})
    if column.codes:
        out.append({"type": IN_SET,
                    "kwargs": {"column": name, "value_set": list(column.codes)}})
    if column.type == "flag":
        out.append({"type": IN_SET,
                    "kwargs": {"column": name, "value_set": ["Y", "N"]}})
    if column.pattern:
        out.append({"type": MATCHES,
                    "kwargs": {"column": name, "regex": column.pattern}})
    if column.minimum is not None or column.maximum is not None:
        out.append({"type": BETWEEN,
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
    """The typed, non-personal columns of rows GX validates, as GX should see them.

    Dates stay datetime64 (NaT is null to GX): boxing them as Python objects cost more than
    the validation itself on a national month, and GX's results are the same. Columns held to
    a code list or Y/N are categorical: their values, nulls and GX's results are the same, and
    GX's set and regex checks then work on the few distinct values (40% of the gate's time on
    a national month).

    Whole numbers are float64 (exact to 2**53; NaN is null to GX): GX compares a numpy column
    with its bounds in one vectorised step, where it calls a Python function per value of a
    nullable integer column. A national year's deliveries: 9.5 s of GX against 10.5 s, the
    same findings. (Text columns made categorical as well saved 3.6 s more of GX, whose
    every expectation copies the whole frame, but cost 3.1 s to make: left as text.)"""
    frame = coded_as_categories(to_load[[c.name for c in table.columns if not c.pii]], table)
    whole_numbers = [name for name, dtype in frame.dtypes.items() if pd.api.types.is_integer_dtype(dtype)]
    return frame.astype(dict.fromkeys(whole_numbers, "float64")) if whole_numbers else frame


@dataclass(frozen=True)
class GateFinding:
    """What one expectation of a suite found on a frame: the index labels of the rows it
    found unexpected, or, for an expectation on the table (its columns), its verdict alone."""
    suite: str
    expectation: str
    column_name: str | None
    unexpected: frozenset | None  # None: judged on the table, not row by row
    table_success: bool


def gx():
    """Great Expectations, imported on first use (about 4 s: only where deliveries are validated)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every pandas batch by hashing all its values (a fifth of the gate's time
    # on a national month) for a batch marker nothing here reads; batches this size or more
    # are not fingerprinted, and this constant is the only way to say so.
    pandas_execution_engine.HASH_THRESHOLD = 0
    return great_expectations


def gx_findings(suite: dict, frame: pd.DataFrame) -> list[GateFinding]:
    """Run one suite on a pandas batch (GX's SQL datasource over duckdb fails silently),
    keeping which rows each expectation found unexpected."""
    great_expectations = gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    context = great_expectations.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    batch = (context.data_sources.add_pandas("delivery")
             .add_dataframe_asset("rows")
             .add_batch_definition_whole_dataframe("all")
             .get_batch(batch_parameters={"dataframe": frame}))
    gx_suite = great_expectations.ExpectationSuite(name=suite["name"])
    for expectation in suite["expectations"]:
        gx_suite.add_expectation_configuration(
            ExpectationConfiguration(type=expectation["type"], kwargs=expectation["kwargs"]))
    # COMPLETE names the unexpected rows (by index); the query that would select them again is
    # not asked for, and value counts are made only of the unexpected values, normally none.
    validation = batch.validate(gx_suite, result_format={"result_format": "COMPLETE",
                                                         "return_unexpected_index_query": False})
    findings = []
    for result in validation.results:
        config = result.expectation_config
        rows = result.result.get("unexpected_index_list")
        if rows is not None and config.type not in PER_VALUE_EXPECTATIONS:
            raise ValueError(f"{config.type} judges rows together: its findings cannot be read on a subset")
        findings.append(GateFinding(suite["name"], config.type, config.kwargs.get("column"),
                                    None if rows is None else frozenset(rows), bool(result.success)))
    return findings


def gx_findings_of_each(suite: dict, table: Table, frames: list[pd.DataFrame]) -> list[list[GateFinding]]:
    """``gx_findings`` of each frame (rows of ``table`` as the gate sees them), from one GX
    validation of them all: GX spends about 0.13 s per validation whatever its rows (it
    builds each expectation's metric graph again), most of a small delivery's ingest, while
    the rows themselves cost little. Each expectation of ours judges a row by itself (or
    the columns, the same in every frame), so a frame's unexpected rows among the whole are
    what GX finds on it alone."""
    if len(frames) == 1:
        return [gx_findings(suite, frames[0])]
    # Code columns are categorical, each frame with its own categories: concatenated they
    # become text and are made categorical again, as one frame's are.
    together = gate_frame(table, pd.concat(frames, ignore_index=True))
    whole = gx_findings(suite, together)
    each, start = [], 0
    for frame in frames:
        end = start + len(frame)
        each.append([_within(finding, frame.index, start, end) for finding in whole])
        start = end
    return each


def _within(finding: GateFinding, labels: pd.Index, start: int, end: int) -> GateFinding:
    """A finding on a concatenation read on the frame at positions ``start`` to ``end``, by
    that frame's own index labels."""
    if finding.unexpected is None:
        return finding
    unexpected = frozenset(labels[p - start] for p in finding.unexpected if start <= p < end)
    return replace(finding, unexpected=unexpected, table_success=not unexpected)


def results_on_rows(findings: list[GateFinding], index: pd.Index) -> list[ExpectationResult]:
    """The gate's results on the rows of ``index`` alone, from findings on a frame holding
    them and others: what GX reports on those rows, as each expectation judges a row by itself
    (a column's values each against a set, a pattern, bounds or null; no expectation of
    ours compares rows), so its unexpected rows among them are its unexpected count there
    and none means success. An expectation judged on the table keeps its verdict."""
    rows = set(index)
    results = []
    for finding in findings:
        unexpected = 0 if finding.unexpected is None else len(finding.unexpected & rows)
        results.append(ExpectationResult(
            suite=finding.suite, expectation=finding.expectation, column_name=finding.column_name,
            success=finding.table_success if finding.unexpected is None else unexpected == 0,
            unexpected_count=unexpected, element_count=len(index)))
    return results


def validate_with_gx(suite: dict, frame: pd.DataFrame) -> list[ExpectationResult]:
    """The suite's results on every row of ``frame``."""
    return results_on_rows(gx_findings(suite, frame), frame.index)
