"""The GX gate runs on every checked row as a delivery is prepared; its results on the rows
that load are read from those findings. Read on any subset, they are what GX itself reports
on that subset alone (real GX, on a real checked sheet)."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from pipelines.contracts import load_contract
from pipelines.ingest.expectations import (
    gate_frame,
    gx_findings,
    gx_findings_of_each,
    results_on_rows,
    suite_definition,
    validate_with_gx,
)
from pipelines.ingest.readers import read_delivery
from pipelines.ingest.validate import check_sheet
from tests.ingest_files import rms_row, write_rms


def test_the_gate_read_on_a_subset_is_gx_on_that_subset(tmp_path):
    contract = load_contract("rms")
    table = contract.tables[0]
    rows = [rms_row(f"DUR-A-{n:07d}") for n in range(1, 8)]
    rows[1]["force_code"] = "ZZZ"  # not in the code list
    rows[2]["record_version"] = "0"  # below the minimum (a whole number, a float to GX)
    rows[3]["record_status"] = ""  # required
    rows[6]["offence_code"] = "92/1"  # not of its pattern (a text column)
    path = write_rms(tmp_path / "arrests_202610.csv", rows)
    (sheet,) = read_delivery(path.read_bytes(), contract)
    checked = check_sheet(sheet, table, "2026-10", b"row-key").checked
    suite = suite_definition("rms", table)
    findings = gx_findings(suite, gate_frame(table, checked))

    def alone(subset):
        return [asdict(r) for r in validate_with_gx(suite, gate_frame(table, subset))]

    for labels in ([0, 4, 5], [0, 1, 5], [2, 3], [0, 1, 2, 3, 4, 5, 6], [5], [5, 6]):
        subset = checked.loc[labels]
        read = [asdict(r) for r in results_on_rows(findings, subset.index)]
        assert read == alone(subset), labels

    failed = {(r.expectation, r.column_name, r.unexpected_count)
              for r in results_on_rows(findings, checked.index) if not r.success}
    assert failed == {("expect_column_values_to_be_in_set", "force_code", 1),
                      ("expect_column_values_to_be_between", "record_version", 1),
                      ("expect_column_values_to_not_be_null", "record_status", 1),
                      ("expect_column_values_to_match_regex", "offence_code", 1)}
    assert all(r.success for r in results_on_rows(findings, checked.loc[[0, 4, 5]].index))


def test_an_expectation_that_compares_rows_cannot_be_read_on_a_subset(tmp_path):
    contract = load_contract("rms")
    table = contract.tables[0]
    path = write_rms(tmp_path / "arrests_202610.csv", [rms_row("DUR-A-0000001"), rms_row("DUR-A-0000002")])
    (sheet,) = read_delivery(path.read_bytes(), contract)
    checked = check_sheet(sheet, table, "2026-10", b"row-key").checked
    suite = {"name": "planted", "expectations": [
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "force_code"}}]}
    with pytest.raises(ValueError, match="judges rows together"):
        gx_findings(suite, gate_frame(table, checked))


def test_each_frame_gated_with_others_has_the_findings_of_gx_on_it_alone(tmp_path):
    """Several deliveries' sheets validated by GX once: each sheet's findings, by its own
    index labels, are GX's on that sheet alone."""
    contract = load_contract("rms")
    table = contract.tables[0]
    frames = []
    for month, faults in (("2026-09", {1: {"force_code": "ZZZ"}}),
                          ("2026-10", {0: {"record_version": "0"}, 2: {"force_code": "YYY", "record_status": ""}}),
                          ("2026-11", {0: {"sex": "Q"}})):
        rows = [rms_row(f"DUR-A-{n:07d}", updated=f"{month}-03T10:00:00") for n in range(1, 5)]
        for position, fault in faults.items():
            rows[position].update(fault)
        path = write_rms(tmp_path / f"arrests_{month.replace('-', '')}.csv", rows)
        (sheet,) = read_delivery(path.read_bytes(), contract)
        checked = check_sheet(sheet, table, month, b"row-key").checked
        frames.append(gate_frame(table, checked.loc[[2, 0, 3, 1]] if month == "2026-10" else checked))
    suite = suite_definition("rms", table)

    each = gx_findings_of_each(suite, table, frames)

    assert each == [gx_findings(suite, frame) for frame in frames]
    unexpected = [{(f.column_name, label) for f in findings for label in f.unexpected or ()} for findings in each]
    assert unexpected == [{("force_code", 1)}, {("record_version", 0), ("force_code", 2), ("record_status", 2)},
                          {("sex", 0)}]
