"""The workbook read back with openpyxl: the Analysis Function's spreadsheet rules and the
same figures as the CSV file."""

import csv
import io
import zipfile
from datetime import datetime

import openpyxl
import pytest
from openpyxl.utils.cell import range_boundaries

from pipelines.publication.bundle import build_bundle
from pipelines.publication.reference import reference
from tests.publication_sample import sample_cells, sample_deliveries, with_cell

P = "2026-10"
SHEETS = ["Cover", "Contents", "Notes", "Funnel", "Programme", "Expungement"]


@pytest.fixture(scope="module")
def bundle():
    cells = sample_cells("2026-01", P, seed=11)
    off = (cells["period"] == "2026-03") & (cells["measure"] == "arrests_in_scope")
    cells.loc[off, "source_available"] = False  # [x]
    cells = with_cell(cells, P, "completion_rate", "sex", "U", rate=(0, 0))  # [z]
    cells = with_cell(cells, P, "arrests_in_scope", "sex", "M", count=2)  # [c]
    previous = {("2026-02", "offers_made", "total", "all"): "1"}  # [r]
    return build_bundle(P, cells, sample_deliveries("2026-01", P), {}, "abc123",
                        previous=previous)


@pytest.fixture(scope="module")
def workbook(bundle, tmp_path_factory):
    path = tmp_path_factory.mktemp("xlsx") / f"checkpoint_measures_{P}.xlsx"
    path.write_bytes(bundle[f"checkpoint_measures_{P}.xlsx"])
    return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def csv_rows(bundle):
    return list(csv.DictReader(io.StringIO(bundle[f"checkpoint_measures_{P}.csv"].decode())))


def table_of(ws):
    (table,) = ws.tables.values()  # one table per sheet
    return range_boundaries(table.ref)


def test_sheets_titles_and_tab_names(workbook):
    assert workbook.sheetnames == SHEETS
    for ws in workbook:
        assert len(ws.title) < 31
        assert isinstance(ws["A1"].value, str) and ws["A1"].value.strip(), ws.title
        assert not ws.merged_cells.ranges, ws.title


def test_one_table_per_sheet_without_blank_cells(workbook):
    assert not workbook["Cover"].tables
    for ws in workbook.worksheets[1:]:
        min_col, min_row, max_col, max_row = table_of(ws)
        assert min_col == 1 and (max_row, max_col) == (ws.max_row, ws.max_column), ws.title
        assert min_row > 1  # the title is above the table
        for row in ws.iter_rows(min_row=min_row, max_row=max_row, max_col=max_col):
            for cell in row:
                assert cell.value not in (None, ""), f"{ws.title}!{cell.coordinate} is empty"


def test_cover(workbook):
    text = "\n".join(str(c.value) for row in workbook["Cover"].iter_rows() for c in row
                     if c.value is not None)
    assert "October 2026" in workbook["Cover"]["A1"].value
    for expected in ("Period covered", "January 2026 to October 2026", "Release date",
                     "Friday 6 November 2026", "Contact", "Status", "Version 1", "abc123"):
        assert expected in text


def test_contents_and_notes(workbook):
    contents = [r[0] for r in workbook["Contents"].iter_rows(min_row=4, values_only=True)]
    assert contents == SHEETS[2:]
    notes = {r[1]: r[2] for r in workbook["Notes"].iter_rows(min_row=4, values_only=True)}
    for m in reference().measures:
        assert m.definition in notes[m.name]
    for marker in ("[c]", "[z]", "[x]", "[p]", "[r]"):
        assert marker in notes


def test_tables_hold_the_csv_figures_numbers_as_numbers(workbook, csv_rows):
    ref = reference()
    seen = []
    for (sheet, _, measures), ws in zip(ref.groups, workbook.worksheets[3:]):
        assert ws.title == sheet
        min_col, min_row, max_col, max_row = table_of(ws)
        header = [c.value for c in ws[min_row]]
        assert header == ["Period", "Measure", "Unit", "Breakdown", "Category", "Value",
                          "Status"]
        expected = [r for r in csv_rows if r["measure"] in measures]
        got = list(ws.iter_rows(min_row=min_row + 1, max_row=max_row))
        assert len(got) == len(expected)
        for want, row in zip(expected, got):
            period, measure, _, breakdown, category, value, status = row
            assert (period.value, measure.value, breakdown.value, category.value) == (
                want["period"], want["measure"], want["breakdown"], want["category"])
            if want["value"]:
                assert value.data_type == "n" and not isinstance(value.value, str)
                assert value.value == float(want["value"])
                assert value.number_format == (
                    "#,##0" if ref.measure[measure.value].unit == "count" else "0.0")
            else:
                assert value.data_type == "s" and value.value == want["marker"]
            assert status.value == (want["status"] or "none")
        seen += expected
    assert len(seen) == len(csv_rows)
    markers = {r["marker"] for r in csv_rows}
    statuses = {r["status"] for r in csv_rows}
    assert {"[c]", "[z]", "[x]"} <= markers and {"[p]", "[r]", ""} <= statuses


def test_no_clock_in_the_file(bundle, workbook):
    stamp = datetime(2026, 11, 6, 9, 30)
    assert workbook.properties.created == stamp and workbook.properties.modified == stamp
    with zipfile.ZipFile(io.BytesIO(bundle[f"checkpoint_measures_{P}.xlsx"])) as z:
        assert {i.date_time for i in z.infolist()} == {(2026, 11, 6, 9, 30, 0)}


def test_tables_name_their_columns_freeze_their_header_and_contents_link_each_sheet(workbook):
    """What Excel needs of a table beyond its cells (its columns named as its header, a
    filter) and what a reader needs to move about: a frozen header, column widths, and a
    link from Contents to each worksheet."""
    for ws in workbook.worksheets[1:]:
        (table,) = ws.tables.values()
        min_col, min_row, max_col, _ = table_of(ws)
        header = [c.value for c in ws[min_row]][:max_col]
        assert [c.name for c in table.tableColumns] == header, ws.title
        assert [c.id for c in table.tableColumns] == list(range(1, max_col + 1)), ws.title
        assert table.autoFilter.ref == table.ref, ws.title
        assert ws.freeze_panes == f"A{min_row + 1}", ws.title
        assert all(ws.column_dimensions[chr(64 + i)].width > 8 for i in range(1, max_col + 1)), ws.title
    links = [(c.value, c.hyperlink.location, c.style)
             for (c,) in workbook["Contents"].iter_rows(min_row=4, max_col=1)]
    assert links == [(sheet, f"'{sheet}'!A1", "Hyperlink") for sheet in SHEETS[2:]]
    assert workbook["Cover"].column_dimensions["A"].width == 110
