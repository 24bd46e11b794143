"""Dagster wiring for the monthly publication bundle."""


import functools
import subprocess
from importlib.metadata import version

import dagster as dg

from pipelines.warehouse.queries import complete_months
from pipelines.paths import REPO_ROOT
from pipelines.publication import write_bundle
from pipelines.settings import Home, connect, home_from_env


class PublicationConfig(dg.Config):
    period: str = ""  # YYYY-MM; empty: the latest month with every source's delivery accepted


@functools.cache
def code_version() -> str:
    """The git commit the code runs from, else the package version: part of what a bundle is made from."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                                text=True, check=True, timeout=10).stdout.strip()
        return f"git {commit}"
    except (OSError, subprocess.SubprocessError):
        return f"checkpoint-warehouse {version('checkpoint-warehouse')}"


def publication_inputs(home: Home) -> tuple:
    """Exact cells, every delivery, the data-quality summary and the exact outcome cells,
    from the analyst warehouse."""
    con = connect(home.warehouse_db, read_only=True)
    try:
        cells = con.execute("SELECT * FROM marts.monthly_measure_cells").df()
        outcome_cells = con.execute("SELECT * FROM marts.outcome_measure_cells").df()
        deliveries = con.execute("SELECT * FROM dq.deliveries ORDER BY seen_order").df()
        orphans = con.execute(
            "SELECT source_table, count(*) FROM dq.orphan_references GROUP BY ALL ORDER BY 1").fetchall()
        checks = con.execute(
            "SELECT count(*) FILTER (WHERE NOT passed), count(*) FROM dq.consistency_checks").fetchone()
    finally:
        con.close()
    summary = {
        "Rows waiting for a key to arrive (held out of the figures)": {t: n for t, n in orphans} or 0,
        "Cross-source consistency checks failed": f"{checks[0]} of {checks[1]}",
    }
    return cells, deliveries.drop(columns=["seen_order"]), summary, outcome_cells


@dg.asset(
    key=["publication"],
    # It reads the analyst copy; the outcome cells are named too so that the outcomes file's
    # lineage shows (the monthly cells reach the copy through the alerts' dependency).
    deps=[dg.AssetKey(["analyst_warehouse"]), dg.AssetKey(["marts", "outcome_measure_cells"])],
    group_name="publication",
    description="publications/P/: the monthly bundle (CSV, accessible spreadsheet, bulletin, revisions, outcomes, manifest). "
                "Never changed once written; changed inputs give P-v2.",
)
def publication(context: dg.AssetExecutionContext, config: PublicationConfig) -> dg.MaterializeResult:
    home = home_from_env()
    months = complete_months(home)
    period = config.period or (months[-1] if months else "")
    if not period:
        context.log.warning("no month has an accepted delivery from every source yet: nothing to publish")
        return dg.MaterializeResult(metadata={"published": False})
    cells, deliveries, summary, outcome_cells = publication_inputs(home)
    if period not in set(cells["period"]):
        raise ValueError(f"cannot publish {period}: the warehouse has no figures for that month")
    result = write_bundle(home.publications, period, cells, deliveries, summary, code_version(),
                          outcome_cells)
    context.log.info(f"{'wrote' if result.created else 'unchanged:'} {result.path}")
    return dg.MaterializeResult(metadata={
        "published": True, "period": period, "folder": str(result.path), "created": result.created,
        "previous": result.previous or "", "version": result.version,
    })
