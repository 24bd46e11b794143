"""The ingest asset's checks can fail: a planted validator regression and a planted row loss
each turn a check red in a real Dagster materialisation against real files and DuckDB."""

from __future__ import annotations

import os

import dagster as dg
import duckdb

from pipelines.alerts import collect_delivery_incidents
from pipelines.ingest import validate
from pipelines.ingest.definitions import landing_deliveries
from pipelines.ingest.reconcile import reconciliation_failures
from pipelines.ingest.screening import remember_digests
from pipelines.ingest.store import open_restricted
from tests.ingest_files import custody_row, query, rms_row, site, write_custody, write_rms  # noqa: F401 (site: a fixture)


def materialise() -> dict[str, bool]:
    result = dg.materialize([landing_deliveries], instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def test_both_checks_pass_on_a_clean_landing(site):
    landing, home = site
    write_rms(landing / "rms/arrests_202610.csv", [rms_row("DUR-A-0000001"), rms_row("DUR-A-0000002", force_code="ZZZ")])
    write_custody(landing / "custody/custody_202610.csv", [custody_row()])
    assert materialise() == {"rows_reconcile": True, "gx_validation": True}
    assert query(home, "SELECT count(*) FROM raw.rms_arrests") == [(1,)]
    # The assets' column schemas (from the contracts and pipelines/dq.py) are the tables' own.
    for spec in landing_deliveries.specs:
        schema, table = spec.key.path
        declared = [(c.name, c.type) for c in spec.metadata["dagster/column_schema"].columns]
        assert declared == query(home, f"SELECT column_name, data_type FROM information_schema.columns "
                                       f"WHERE table_schema = '{schema}' AND table_name = '{table}' "
                                       "ORDER BY ordinal_position"), spec.key


def plant_in_ingest(monkeypatch, folder, code: str) -> None:
    """Run ``code`` at the start of every new interpreter, so in the process the asset spawns
    to ingest: a ``sitecustomize`` module, which Python imports as it starts."""
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(code)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")])))


REGRESSED_VALIDATOR = """
from pipelines.dq import ReasonKind
from pipelines.ingest import validate

real_checks = validate.column_checks
validate.column_checks = lambda column, raw, typed: [  # the code-list check lost
    (c, r) for c, r in real_checks(column, raw, typed) if r.kind != ReasonKind.CODE_LIST]
"""

LOSSY_LOADER = """
from pipelines.ingest import load

real_insert = load._insert_rows


def lossy(con, landed, outcome, *rest):  # a loader that drops the last row
    outcome.to_load = outcome.to_load.iloc[:-1]
    real_insert(con, landed, outcome, *rest)


load._insert_rows = lossy
"""


def test_a_validator_regression_is_caught_by_the_gx_gate(site, monkeypatch, tmp_path):
    landing, home = site
    plant_in_ingest(monkeypatch, tmp_path / "planted", REGRESSED_VALIDATOR)
    write_rms(landing / "rms/arrests_202610.csv", [rms_row("DUR-A-0000001"), rms_row("DUR-A-0000002", force_code="ZZZ")])
    checks = materialise()
    assert checks["gx_validation"] is False
    assert checks["rows_reconcile"] is True  # the books balance: nothing of it was loaded
    (status, reason), = query(home, "SELECT status, reason FROM dq.deliveries")
    assert status == "rejected" and "expect_column_values_to_be_in_set(force_code): 1" in reason
    assert query(home, "SELECT count(*) FROM raw.rms_arrests") == [(0,)]
    assert query(home, "SELECT expectation, column_name, unexpected_count FROM dq.validation_results "
                       "WHERE NOT success") == [("expect_column_values_to_be_in_set", "force_code", 1)]
    con = duckdb.connect(str(home.build_db), read_only=True)
    try:
        (incident,) = collect_delivery_incidents(con, None)
    finally:
        con.close()
    assert incident.title == "Delivery rejected by the GX gate: rms/arrests_202610.csv"
    assert "defect in the validator" in incident.detail and "ZZZ" not in incident.detail

    # The validator fixed: the next run takes the same file again, loads it and turns green.
    (tmp_path / "planted" / "sitecustomize.py").unlink()
    assert materialise() == {"rows_reconcile": True, "gx_validation": True}
    assert query(home, "SELECT status FROM dq.deliveries ORDER BY seen_order") == [("rejected",), ("accepted",)]
    assert query(home, "SELECT count(*) FROM raw.rms_arrests") == [(1,)]
    assert materialise() == {"rows_reconcile": True, "gx_validation": True}  # and nothing again
    assert query(home, "SELECT count(*) FROM dq.deliveries") == [(2,)]


def test_deliveries_gated_together_are_each_judged_on_their_own_rows(site, monkeypatch, tmp_path):
    """A small landing's deliveries are gated by one GX validation per suite: the regression
    shows in the one delivery whose rows it let through, and the others load."""
    landing, home = site
    plant_in_ingest(monkeypatch, tmp_path / "planted", REGRESSED_VALIDATOR)
    write_rms(landing / "rms/arrests_202609.csv", [rms_row("DUR-A-0000001", updated="2026-09-03T10:00:00")])
    write_rms(landing / "rms/arrests_202610.csv", [rms_row("DUR-A-0000002"), rms_row("DUR-A-0000003", force_code="ZZZ")])
    write_rms(landing / "rms/arrests_202611.csv", [rms_row("DUR-A-0000004", updated="2026-11-03T10:00:00")])
    assert materialise()["gx_validation"] is False
    assert query(home, "SELECT file_name, status FROM dq.deliveries ORDER BY seen_order") == [
        ("rms/arrests_202609.csv", "accepted"), ("rms/arrests_202610.csv", "rejected"),
        ("rms/arrests_202611.csv", "accepted")]
    assert query(home, "SELECT file_name, column_name, unexpected_count, element_count FROM dq.validation_results "
                       "WHERE NOT success") == [("rms/arrests_202610.csv", "force_code", 1, 2)]
    assert query(home, "SELECT DISTINCT file_name, element_count FROM dq.validation_results ORDER BY 1") == [
        ("rms/arrests_202609.csv", 1), ("rms/arrests_202610.csv", 2), ("rms/arrests_202611.csv", 1)]


def test_a_lost_row_turns_the_reconciliation_red(site, monkeypatch, tmp_path):
    landing, home = site
    plant_in_ingest(monkeypatch, tmp_path / "planted", LOSSY_LOADER)
    write_rms(landing / "rms/arrests_202610.csv", [rms_row("DUR-A-0000001"), rms_row("DUR-A-0000002")])
    checks = materialise()
    assert checks["rows_reconcile"] is False
    assert query(home, "SELECT rows_loaded FROM dq.deliveries") == [(2,)]
    assert query(home, "SELECT count(*) FROM raw.rms_arrests") == [(1,)]


def test_reconciliation_counts_raw_and_quarantine_per_delivery(site):
    landing, home = site
    write_rms(landing / "rms/arrests_202610.csv", [rms_row("DUR-A-0000001"), rms_row("DUR-A-0000002", sex="Q")])
    materialise()
    con = duckdb.connect(str(home.build_db))
    try:
        assert reconciliation_failures(con) == []
        con.execute("DELETE FROM dq.quarantined_rows")
        (lost,) = reconciliation_failures(con)
        assert (lost.file_name, lost.rows_quarantined, lost.rows_in_quarantine) == ("rms/arrests_202610.csv", 1, 0)
        con.execute("INSERT INTO dq.quarantined_rows SELECT * FROM dq.quarantined_rows WHERE FALSE")
        con.execute("UPDATE dq.deliveries SET rows_quarantined = 0, rows_loaded = 2")
        (extra,) = reconciliation_failures(con)  # the sum still holds; raw does not
        assert (extra.rows_loaded, extra.rows_in_raw) == (2, 1)
        con.execute("DELETE FROM dq.deliveries")
        (unknown,) = reconciliation_failures(con)  # raw rows of no recorded delivery
        assert (unknown.file_name, unknown.status, unknown.rows_in_raw) == ("rms/arrests_202610.csv", None, 1)
    finally:
        con.close()


def test_only_the_key_rules_that_compare_with_earlier_deliveries_look_them_up():
    """A snapshot's keys come back every month by design: looking up what earlier snapshots
    loaded (a scan of all of them) would decide nothing."""
    from pipelines.contracts import all_contracts
    from pipelines.ingest.readers import RawRow, RawSheet

    looked_up = []
    for contract in all_contracts():
        for table in contract.tables:
            sheet = RawSheet.of_rows(table.name, list(table.column_names),
                                     [RawRow(2, ["1"] * len(table.column_names), "raw")])
            validate.validate_sheet(sheet, table, "2026-01", b"k",
                                    history=lambda keys, name=table.name: looked_up.append(name) or {})
    rules = {t.name: t.earlier_delivery_key_rule for c in all_contracts() for t in c.tables}
    assert sorted(looked_up) == sorted(name for name, rule in rules.items() if rule != "snapshot")
    assert "contracts" not in looked_up and "arrests" in looked_up


def test_a_personal_value_is_remembered_once_however_often_it_arrives(tmp_path):
    """The restricted store keeps each personal-value digest once: deliveries repeat names
    and dates of birth every month, and the store must grow with new people, not with months."""
    restricted = open_restricted(tmp_path / "restricted" / "quarantine.duckdb")  # as ingest opens it
    try:
        remember_digests(restricted, {"a", "b"})
        remember_digests(restricted, {"b", "c"})
        remember_digests(restricted, {"a", "b", "c"})
        assert sorted(restricted.execute("SELECT digest FROM personal_values").fetchall()) == [("a",), ("b",), ("c",)]
    finally:
        restricted.close()
