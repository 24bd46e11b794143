"""Workbooks are read by python-calamine, and exactly as openpyxl reads them (issue 12).

openpyxl's reading is the reference: the contract's faults (date cells against typed text
dates, blank rows, cells past the header, the limits) were written against it. Where
calamine would read more leniently, the workbook goes to openpyxl.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.contracts import load_contract
from pipelines.ingest import readers
from pipelines.ingest.limits import LIMITS
from tests.hostile_files import SESSIONS, absurd_row_number, garbage_date_cell, patch_member, workbook_bytes

PROGRAMME = load_contract("programme")


def _as_tuples(sheets):
    return [(s.table, s.header, [(r.row_number, r.fields, r.raw_text) for r in s.rows]) for s in sheets]


def test_calamine_reads_date_cells_text_dates_and_odd_rows_as_openpyxl_does():
    data = workbook_bytes(
        contracts=[
            ["CP-000001", "DUR/C/26/000001", dt.date(2026, 10, 3), "03/02/2027", "active ", None, None],
            [None] * 7,  # a blank worksheet row: not a row
            ["CP-000002", "DUR/C/26/000002", dt.datetime(2026, 10, 4, 0, 0), dt.datetime(2027, 2, 4, 9, 30),
             "COMPLETED", "2027-02-04", None, None, "past the header"],
            ["CP-000003", 7, dt.date(2026, 10, 5), dt.date(2027, 2, 5), True, None, None, "  "],
        ],
        sessions=[["CP-000001", "05/10/2026", "ASSESSMENT", "ATTENDED", 1.5],
                  ["CP-000001", dt.date(2026, 10, 6), "REVIEW", "MISSED", 2]])
    assert not readers.needs_strict_reader(data)
    by_calamine = readers._read_xlsx_calamine(data, PROGRAMME, LIMITS)
    assert _as_tuples(by_calamine) == _as_tuples(readers._read_xlsx_openpyxl(data, PROGRAMME, LIMITS))
    contracts = by_calamine[0]
    # A date cell reads as ISO, a typed text date as typed: both are dates to the validator.
    assert contracts.rows[0].fields[2:4] == ["2026-10-03", "03/02/2027"]
    assert [r.row_number for r in contracts.rows] == [2, 4, 5]
    assert contracts.rows[1].fields[3] == "2027-02-04T09:30:00"
    assert len(contracts.rows[1].fields) == 9  # a value past the header makes the row too long
    assert by_calamine[1].rows[1].fields == ["CP-000001", "2026-10-06", "REVIEW", "MISSED", "2"]


def error_cell() -> bytes:
    return patch_member(workbook_bytes(), SESSIONS, '<c r="E2" t="n"><v>1.5</v></c>', '<c r="E2" t="e"><v>#N/A</v></c>')


@pytest.mark.parametrize("make", [garbage_date_cell, absurd_row_number, error_cell])
def test_what_calamine_reads_leniently_goes_to_openpyxl(make):
    assert readers.needs_strict_reader(make())
    assert not readers.needs_strict_reader(workbook_bytes())


def test_an_error_cell_reads_as_its_text_not_as_empty():
    # calamine alone would read #N/A as an empty cell: a required column would say "empty",
    # a nullable one would load the row.
    assert readers.read_xlsx(error_cell(), PROGRAMME)[1].rows[0].fields[4] == "#N/A"


def test_a_date_styled_negative_number_is_read_as_openpyxl_reads_it():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Contracts"
    sheet.append(["contract_ref", "custody_ref", "start_date"])
    sheet.append(["CP-000001", "DUR/C/26/000001", -5])
    sheet["C2"].number_format = "yyyy-mm-dd"
    workbook.create_sheet("Sessions").append(["contract_ref"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    # calamine makes a time of day of it; openpyxl a date before 1900, which the reader keeps.
    with pytest.raises(readers._CalamineDiffers):
        readers._read_xlsx_calamine(data, PROGRAMME, LIMITS)
    assert readers.read_xlsx(data, PROGRAMME)[0].rows[0].fields[2] == "1899-12-25"


_CELLS = st.one_of(
    st.just(""), st.sampled_from([" ", "\t", " x ", "CP-000001", "Zoë", "1", "1.0"]), st.text(max_size=4),
    st.floats(allow_nan=False, allow_infinity=False), st.integers(-3, 3).map(float), st.booleans(),
    st.dates(min_value=dt.date(1900, 1, 1)), st.datetimes(min_value=dt.datetime(1900, 1, 1)),
    st.just(dt.datetime(2026, 1, 5)), st.just(dt.time(9, 30)))


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.integers(1, 4).flatmap(lambda width: st.tuples(
    st.lists(_CELLS.filter(lambda v: v != ""), min_size=width, max_size=width),
    st.lists(st.lists(_CELLS, min_size=width, max_size=width), max_size=8))))
def test_a_sheet_turned_into_text_by_columns_is_the_sheet_turned_into_text_by_rows(header_and_rows):
    """The column-wise fast path for calamine's dense grids gives exactly the header, rows,
    numbers and raw texts of the cell-by-cell reading (or fails the same way)."""
    header, rows = header_and_rows
    grid = [header, *rows]
    table = PROGRAMME.tables[0]

    def read(how):
        try:
            return _as_tuples([how()])
        except Exception as error:  # noqa: BLE001 - the kind of failure is what is compared
            return type(error)

    by_columns = read(lambda: readers._sheet_from_columns(grid, table, LIMITS))
    by_rows = read(lambda: readers._sheet_from_rows(grid[0], iter(grid[1:]), table, LIMITS, "",
                                                    readers._grid_cell_text))
    assert by_columns == by_rows


# Attributes the patterns look for, near misses, and what may stand around them.
attributes = st.tuples(
    st.sampled_from(["", "<c ", "x", " ", "\n", "1"]), st.sampled_from(["t", "r", "s", "xt", "tr"]),
    st.sampled_from(["", " ", "\t\n"]), st.sampled_from(["=", ""]), st.sampled_from(["", " "]),
    st.sampled_from(['"', "'", ""]), st.sampled_from(["d", "e", "n", "str", "A1", "AB1234567", "ABCD1234567",
                                                    "1234567", "123456", "B12345678"]),
    st.sampled_from(['"', "'", "", ">"])).map("".join)


@settings(max_examples=800, deadline=None)
@given(st.lists(attributes, min_size=1, max_size=4).map("".join))
def test_the_quick_scan_for_lenient_cells_misses_nothing(text):
    """The strict reader is asked for only where the quick pattern matches: it must match
    wherever the full one does."""
    data = text.encode()
    if readers._LENIENT_IN_CALAMINE.search(data):
        assert readers._MAYBE_LENIENT_IN_CALAMINE.search(data)
