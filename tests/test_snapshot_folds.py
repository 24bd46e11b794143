"""Folding snapshot rows: raw keeps a contract's latest row and the rows where its values
changed, and what the warehouse reads from it is what it read when every snapshot was kept.

Random sequences of workbook deliveries (months in any order, `_vN` re-deliveries) are
applied twice to a real DuckDB database with the warehouse's raw schema, replaying ingest's
rules for versions: once keeping every row, once folding after each delivery with
``fold_snapshot_rows``. The latest row of each contract (all its columns, lineage included)
and the month it was first loaded must agree.
"""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.contracts import load_contract
from pipelines.ingest.load import fold_snapshot_rows
from pipelines.ingest.store import raw_ddl

CONTRACTS = next(t for t in load_contract("programme").tables if t.earlier_delivery_key_rule == "snapshot")
KEYS = ("CP-000001", "CP-000002", "CP-000003")
STATUSES = ("ACTIVE", "COMPLETED", "FAILED")

# A workbook: (month 1-6, version 1-2, {contract: status}); a contract's values are its status.
workbooks = st.lists(
    st.tuples(st.integers(1, 6), st.integers(1, 2),
              st.dictionaries(st.sampled_from(KEYS), st.sampled_from(STATUSES), min_size=1)),
    min_size=1, max_size=12)


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute(raw_ddl(CONTRACTS))
    return con


def _deliver(con, number: int, month: int, version: int, rows: dict[str, str], in_force: dict[int, tuple],
             fold) -> list[tuple[str, str, int]]:
    """Ingest's rules for a workbook's versions (source-extracts.md), then the fold."""
    sha256, file_name = f"sha{number}", f"programme/checkpoint_programme_2024{month:02d}_v{version}.xlsx"
    if in_force.get(month, (0,))[0] > version:
        return []  # a higher version is in force: superseded on arrival
    if month in in_force:
        con.execute("DELETE FROM raw.programme_contracts WHERE delivery_sha256 = ?", [in_force[month][1]])
    in_force[month] = (version, sha256)
    for row_number, (key, status) in enumerate(sorted(rows.items()), start=1):
        con.execute("""INSERT INTO raw.programme_contracts
                       (contract_ref, status, delivery_sha256, source_month, delivery_version, file_name,
                        "row_number", row_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                    [key, status, sha256, f"2024-{month:02d}", version, file_name, row_number, f"digest:{status}"])
    return fold(con, CONTRACTS, sha256, file_name) if fold else []


def _read(con) -> tuple[list, list]:
    """What the warehouse reads: each contract's latest row (stg_programme__contracts) and
    its first month (the wait of a contract held back, pipelines.alerts.state)."""
    latest = con.execute("""
        SELECT contract_ref, arg_max(COLUMNS(* EXCLUDE (contract_ref)), (source_month, delivery_version))
        FROM raw.programme_contracts GROUP BY contract_ref ORDER BY contract_ref""").fetchall()
    first = con.execute("""SELECT contract_ref, min(source_month) FROM raw.programme_contracts
                           GROUP BY contract_ref ORDER BY contract_ref""").fetchall()
    return latest, first


def _replay(deliveries, fold=fold_snapshot_rows) -> tuple[duckdb.DuckDBPyConnection, int]:
    """The deliveries applied in order; ``fold``: the fold run after each (None: keep every row)."""
    con, in_force, folded = _connect(), {}, 0
    for number, (month, version, rows) in enumerate(deliveries):
        folded += sum(n for _, _, n in _deliver(con, number, month, version, rows, in_force, fold))
    return con, folded


def _keeps_its_contracts(deliveries) -> bool:
    """No re-delivery of a month drops a contract that the version it replaces carried."""
    carried: dict[int, tuple[int, set]] = {}
    for month, version, rows in deliveries:
        before = carried.get(month)
        if before and before[0] > version:
            continue
        if before and not before[1] <= set(rows):
            return False
        carried[month] = (version, set(rows))
    return True


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(workbooks.filter(_keeps_its_contracts))
def test_folding_keeps_what_the_warehouse_reads(deliveries):
    kept_all, _ = _replay(deliveries, fold=None)
    folded, removed = _replay(deliveries)
    assert _read(folded) == _read(kept_all)
    stored = folded.execute("SELECT count(*) FROM raw.programme_contracts").fetchone()[0]
    everything = kept_all.execute("SELECT count(*) FROM raw.programme_contracts").fetchone()[0]
    # Every row gone is counted (a folded row whose delivery is later replaced is counted too).
    assert stored <= everything <= stored + removed


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 2), st.dictionaries(st.sampled_from(KEYS), st.sampled_from(STATUSES),
                                                             min_size=1)), min_size=1, max_size=6))
def test_a_redelivery_that_drops_a_contract_leaves_its_values_as_before(months_in_order):
    """Months in order, each perhaps re-delivered without some contracts: each contract's
    latest values are those of its latest remaining snapshot (its lineage may then name the
    earlier workbook where those values began)."""
    deliveries = []
    for month, (versions, rows) in enumerate(months_in_order, start=1):
        deliveries.append((month, 1, rows))
        if versions == 2:
            deliveries.append((month, 2, dict(list(rows.items())[:-1]) or rows))
    kept_all, _ = _replay(deliveries, fold=None)
    folded, _ = _replay(deliveries)
    assert folded.execute(LATEST_VALUES).fetchall() == kept_all.execute(LATEST_VALUES).fetchall()


def test_a_contract_keeps_its_first_row_its_changes_and_its_latest_row():
    deliveries = [(1, 1, {"CP-000001": "ACTIVE"}), (2, 1, {"CP-000001": "ACTIVE"}), (3, 1, {"CP-000001": "ACTIVE"}),
                  (4, 1, {"CP-000001": "FAILED"}), (5, 1, {"CP-000001": "FAILED"}), (6, 1, {"CP-000001": "FAILED"})]
    con, removed = _replay(deliveries)
    assert con.execute("SELECT source_month, status FROM raw.programme_contracts ORDER BY 1").fetchall() == [
        ("2024-01", "ACTIVE"), ("2024-04", "FAILED"), ("2024-06", "FAILED")]
    assert removed == 3


def test_a_late_workbook_between_two_kept_rows_folds_what_it_repeats():
    deliveries = [(1, 1, {"CP-000001": "ACTIVE"}), (4, 1, {"CP-000001": "FAILED"}), (6, 1, {"CP-000001": "FAILED"}),
                  (5, 1, {"CP-000001": "FAILED"}), (2, 1, {"CP-000001": "ACTIVE"})]
    con, removed = _replay(deliveries)
    assert con.execute("SELECT source_month, status FROM raw.programme_contracts ORDER BY 1").fetchall() == [
        ("2024-01", "ACTIVE"), ("2024-04", "FAILED"), ("2024-06", "FAILED")]
    assert removed == 2


LATEST_VALUES = """SELECT contract_ref, arg_max(status, (source_month, delivery_version))
                   FROM raw.programme_contracts GROUP BY ALL ORDER BY ALL"""


def _losing(rows_sql: str):
    """A planted fold: the real one, then more rows removed (``rows_sql`` selects their rowids)."""
    def fold(con, table, sha256, file_name):
        counts = fold_snapshot_rows(con, table, sha256, file_name)
        con.execute(f"DELETE FROM raw.programme_contracts WHERE rowid IN ({rows_sql})")
        return counts
    return fold


@pytest.mark.parametrize("lost", [
    # the latest row of each contract
    "SELECT arg_max(rowid, (source_month, delivery_version)) FROM raw.programme_contracts GROUP BY contract_ref",
    # every row but the first and the latest, changes included
    """SELECT rowid FROM (SELECT rowid, row_number() OVER (PARTITION BY contract_ref ORDER BY source_month) AS n,
                                 count(*) OVER (PARTITION BY contract_ref) AS rows
                          FROM raw.programme_contracts) WHERE n > 1 AND n < rows""",
])
def test_the_comparisons_fail_on_a_fold_that_loses_a_row_it_needs(lost):
    """Each check above can fail: a fold that loses the latest row changes what is read, and
    one that loses a change reads the wrong values once a re-delivery drops the contract."""
    deliveries = [(1, 1, {"CP-000001": "ACTIVE"}), (2, 1, {"CP-000001": "FAILED"}), (3, 1, {"CP-000001": "FAILED"}),
                  (4, 1, {"CP-000001": "FAILED"})]
    kept_all, _ = _replay(deliveries, fold=None)
    folded, _ = _replay(deliveries, fold=_losing(lost))
    dropped = deliveries + [(4, 2, {"CP-000002": "ACTIVE"})]
    kept_all_dropped, _ = _replay(dropped, fold=None)
    folded_dropped, _ = _replay(dropped, fold=_losing(lost))
    assert (_read(folded) != _read(kept_all)
            or folded_dropped.execute(LATEST_VALUES).fetchall() != kept_all_dropped.execute(LATEST_VALUES).fetchall())
    real, _ = _replay(dropped)
    assert real.execute(LATEST_VALUES).fetchall() == kept_all_dropped.execute(LATEST_VALUES).fetchall()
