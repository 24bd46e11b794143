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
    raw, keyed = report.raw, report.keyed
    context.log.info(f"analyst file: {raw.deliveries_copied} delivery(ies) of raw rows copied, "
                     f"{raw.deliveries_removed} removed, {raw.tables_whole} raw table(s) copied whole; "
                     f"{keyed.tables_by_keys} fact table(s) refreshed for {keyed.keys_replaced} rebuilt key(s), "
                     f"{keyed.tables_whole} copied whole ({keyed.tables_differing} found differing from the build)")
    return dg.MaterializeResult(metadata={"path": str(home.warehouse_db), "bytes": report.bytes,
                                          "raw_deliveries_copied": raw.deliveries_copied,
                                          "raw_deliveries_removed": raw.deliveries_removed,
                                          "keyed_tables_refreshed": keyed.tables_by_keys,
                                          "keyed_tables_copied_whole": keyed.tables_whole})


defs = dg.Definitions(assets=[analyst_warehouse])
