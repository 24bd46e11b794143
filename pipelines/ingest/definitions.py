"""Ingest's Dagster definitions: one multi-asset that takes every new delivery (raw.* and dq.*), and its checks."""


import dagster as dg

from pipelines import dq
from pipelines.contracts import all_contracts
from pipelines.ingest.isolated import ingest_landing_isolated
from pipelines.ingest.reconcile import gate_results, reconciliation_failures
from pipelines.ingest.store import described_raw_columns
from pipelines.keys import home_key
from pipelines.settings import connect, home_from_env, landing_from_env

RAW_KEYS = [dg.AssetKey(["raw", t.raw_table]) for c in all_contracts() for t in c.tables]
DQ_KEYS = [dg.AssetKey([dq.SCHEMA, t.name]) for t in dq.INGEST_TABLES]
DELIVERIES = dg.AssetKey([dq.SCHEMA, dq.DELIVERIES.name])


def _spec(key: dg.AssetKey) -> dg.AssetSpec:
    """An ingest table as an asset, described (table and columns) by its one declaration."""
    contract_table = {t.raw_table: (c, t) for c in all_contracts() for t in c.tables}.get(key.path[-1])
    if contract_table:
        contract, table = contract_table
        description = f"Loaded rows of the {contract.source} extract: {table.description} ({contract.description})"
        columns = described_raw_columns(table)
    else:
        dq_table = {t.name: t for t in dq.INGEST_TABLES}[key.path[-1]]
        description, columns = f"Data-quality history: {dq_table.description}", dq_table.columns
    schema = dg.TableSchema(columns=[dg.TableColumn(name, sql_type.split()[0], text) for name, sql_type, text in columns])
    return dg.AssetSpec(key, description=description, group_name="ingest", kinds={"duckdb"},
                        metadata={"dagster/column_schema": schema})


def observation(result) -> dg.AssetObservation:
    """A delivery taken, as a structured event: the CLI's progress and summary follow these."""
    return dg.AssetObservation(asset_key=DELIVERIES, metadata={
        "file_name": result.file_name, "status": str(result.status), "seen_order": result.seen_order})


@dg.multi_asset(
    specs=[_spec(k) for k in RAW_KEYS + DQ_KEYS],
    check_specs=[
        dg.AssetCheckSpec("rows_reconcile", asset=DELIVERIES, blocking=True,
                          description="Every delivery's recorded counts equal the rows in raw and in dq.quarantined_rows; "
                                      "rows read = loaded + quarantined + duplicate."),
        dg.AssetCheckSpec("gx_validation", asset=DELIVERIES,
                          description="Great Expectations suites (from the contracts) passed on every delivery of the run; "
                                      "a failure rejects the delivery whole."),
    ],
    name="landing_deliveries",
    description="Find each delivery in the landing folder not seen before, validate it and load it atomically.",
)
def landing_deliveries(context: dg.AssetExecutionContext):
    home = home_from_env()
    secret = home_key(home)  # refuses a key other than the home's
    with home.exclusive_writer():
        report = ingest_landing_isolated(landing_from_env(), home.build_db, home.restricted_db, secret, home.spill,
                                         on_result=lambda result: context.log_event(observation(result)),
                                         digests=home.landing_digests)
        con = connect(home.build_db, read_only=True)
        try:
            failures = reconciliation_failures(con)
            gx_run, gx_failed = gate_results(con, [r.seen_order for r in report.results])
        finally:
            con.close()
    by_status: dict[str, int] = {}
    for result in report.results:
        by_status[result.status] = by_status.get(result.status, 0) + 1
        context.log.info(f"{result.file_name}: {result.status}"
                         + (f" ({result.reason})" if result.reason else "")
                         + (f" read {result.rows_read}, loaded {result.rows_loaded}, quarantined "
                            f"{result.rows_quarantined}, duplicate {result.rows_duplicate}"
                            if result.rows_read is not None else ""))
    summary = {
        "new_files": len(report.results),
        "rejected_files": dg.MetadataValue.json([r.file_name for r in report.rejected]),
        **{f"files_{status}": count for status, count in sorted(by_status.items())},
    }
    for key in RAW_KEYS + DQ_KEYS:
        yield dg.MaterializeResult(asset_key=key, metadata=summary if key == DELIVERIES else None)
    yield dg.AssetCheckResult(
        check_name="rows_reconcile", asset_key=DELIVERIES, passed=not failures,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"failing_deliveries": dg.MetadataValue.json([f.__dict__ for f in failures])})
    yield dg.AssetCheckResult(
        check_name="gx_validation", asset_key=DELIVERIES, passed=not gx_failed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"expectations_run": gx_run, "expectations_failed": len(gx_failed),
                  "failed": dg.MetadataValue.json([list(map(str, f)) for f in gx_failed])})


defs = dg.Definitions(assets=[landing_deliveries])
