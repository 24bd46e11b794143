"""Dagster wiring for ingest: one multi-asset that takes every new delivery, and its checks."""


import duckdb
import dagster as dg

from pipelines.contracts import all_contracts
from pipelines.ingest.load import ingest_landing
from pipelines.keys import home_key
from pipelines.settings import home_from_env, landing_from_env

RAW_KEYS = [dg.AssetKey(["raw", t.raw_table]) for c in all_contracts() for t in c.tables]
DQ_KEYS = [dg.AssetKey(["dq", name]) for name in
           ("deliveries", "quarantined_rows", "delivery_events", "validation_results")]
DELIVERIES = dg.AssetKey(["dq", "deliveries"])


def _spec(key: dg.AssetKey) -> dg.AssetSpec:
    contract_table = {t.raw_table: (c, t) for c in all_contracts() for t in c.tables}.get(key.path[-1])
    description = (f"Loaded rows of the {contract_table[0].source} extract: {contract_table[1].description}"
                   if contract_table else f"Data-quality history: dq.{key.path[-1]}")
    return dg.AssetSpec(key, description=description, group_name="ingest", kinds={"duckdb"})


def reconciliation_failures(con) -> list[tuple]:
    """Accepted or superseded deliveries whose rows do not add up (read ≠ loaded + quarantined + duplicate)."""
    return con.execute("""
        SELECT file_name, rows_read, rows_loaded, rows_quarantined, rows_duplicate
        FROM dq.deliveries
        WHERE status IN ('accepted', 'superseded')
          AND rows_read IS DISTINCT FROM rows_loaded + rows_quarantined + rows_duplicate
        ORDER BY seen_order
    """).fetchall()


@dg.multi_asset(
    specs=[_spec(k) for k in RAW_KEYS + DQ_KEYS],
    check_specs=[
        dg.AssetCheckSpec("rows_reconcile", asset=DELIVERIES, blocking=True,
                          description="For every accepted delivery: rows read = loaded + quarantined + duplicate."),
        dg.AssetCheckSpec("gx_validation", asset=DELIVERIES,
                          description="Great Expectations suites (from the contracts) passed on every loaded delivery."),
    ],
    name="landing_deliveries",
    description="Find each delivery in the landing folder not seen before, validate it and load it atomically.",
)
def landing_deliveries(context: dg.AssetExecutionContext):
    home = home_from_env()
    secret = home_key(home)  # refuses a key other than the home's
    with home.exclusive_writer():
        report = ingest_landing(landing_from_env(), home.build_db, home.restricted_db, secret)
        con = duckdb.connect(str(home.build_db), read_only=True)
        try:
            failures = reconciliation_failures(con)
            gx_failed = con.execute("SELECT count(*) FROM dq.validation_results WHERE NOT success").fetchone()[0]
            gx_run = con.execute("SELECT count(*) FROM dq.validation_results").fetchone()[0]
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
        metadata={"failing_deliveries": dg.MetadataValue.json([list(map(str, f)) for f in failures])})
    yield dg.AssetCheckResult(
        check_name="gx_validation", asset_key=DELIVERIES, passed=gx_failed == 0,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"expectations_run": gx_run, "expectations_failed": gx_failed})
