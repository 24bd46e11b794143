"""The analyst warehouse's Dagster definitions: the asset refreshed after every model is built."""

import dagster as dg

from pipelines.settings import home_from_env
from pipelines.warehouse.publish import publish_home


@dg.asset(
    key=["analyst_warehouse"],
    deps=[dg.AssetKey(["dq", "alerts"])],
    group_name="publication",
    kinds={"duckdb"},
    description="HOME/warehouse.duckdb: the modelled tables and data-quality history, swapped in atomically "
                "for analysts to open read-only. No direct identifiers.",
)
def analyst_warehouse(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    home = home_from_env()
    with home.exclusive_writer():
        report = publish_home(home)
    raw = report.raw
    context.log.info(f"analyst file: {raw.deliveries_copied} delivery(ies) of raw rows copied, "
                     f"{raw.deliveries_removed} removed, {raw.tables_whole} raw table(s) copied whole")
    return dg.MaterializeResult(metadata={"path": str(home.warehouse_db), "bytes": report.bytes,
                                          "raw_deliveries_copied": raw.deliveries_copied,
                                          "raw_deliveries_removed": raw.deliveries_removed})


defs = dg.Definitions(assets=[analyst_warehouse])
