"""Unquoted CSV text is read a column at a time, without the csv module: header, rows, line
numbers, fields and raw texts exactly as the csv module reads them, for any such text."""

from __future__ import annotations

import csv

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.contracts import load_contract
from pipelines.ingest.limits import LIMITS
from pipelines.ingest.readers import DeliveryRejected, RawSheet, _csv_sheet, _unquoted, _unquoted_sheet, read_csv

# Separators, spaces, every line boundary str.splitlines knows (the csv module sees only \r
# and \n as line ends, the others as text) and a few ordinary characters.
PIECES = [",", ",", "a", "Ní", " ", "\t", "\r", "\n", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85",
          "\u2028", "\u2029"]
unquoted_texts = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)


def contents(sheet: RawSheet) -> tuple:
    """Everything a sheet holds, its columns as lists."""
    return (sheet.header, sheet.row_numbers, sheet.raw_texts,
            [(r.row_number, r.fields, r.raw_text) for r in sheet.malformed_rows],
            sheet.well_formed_numbers, [list(column) for column in sheet.columns],
            [(r.row_number, r.fields, r.raw_text) for r in sheet.rows])


def as_read(read, lines: list[str]) -> tuple:
    """``contents`` of the sheet ``read`` makes of the lines, or the rejection's message."""
    try:
        return contents(read(lines, "t", LIMITS))
    except DeliveryRejected as rejection:
        return ("rejected", str(rejection))


@settings(max_examples=600, deadline=None)
@given(unquoted_texts)
def test_unquoted_text_is_read_as_the_csv_module_reads_it(text):
    lines = text.splitlines(keepends=True)
    assert _unquoted(text, lines)
    assert as_read(_unquoted_sheet, lines) == as_read(_csv_sheet, lines)


@pytest.mark.parametrize("text", [
    "a,b\n1,2\n\n 3,4\r\n5\n6,7,8\n  \n9,\n",  # blank lines, a short row, a long one, an empty field
    "a,b\n1\n",  # no row as wide as the header
    "a,b\n", " \n\t\n",  # no rows; no header
    "x\x85y,b\n1,2\v3,4\n",  # line boundaries the csv module takes as text
])
def test_unquoted_sheets_of_each_shape(text):
    """The shapes the property test reaches only by chance, each stated."""
    lines = text.splitlines(keepends=True)
    assert as_read(_unquoted_sheet, lines) == as_read(_csv_sheet, lines)


def test_a_sheet_of_rows_read_one_at_a_time_is_the_same_sheet():
    lines = "a,b\n1,2\n3\n4,5\n".splitlines(keepends=True)
    columnar = _unquoted_sheet(lines, "t", LIMITS)
    again = RawSheet.of_rows("t", columnar.header, columnar.rows)
    assert contents(again) == contents(columnar)
    assert columnar.raw_text_of(3) == "3" and columnar.malformed_rows[0].fields == ["3"]
    assert columnar.well_formed == ([2, 4], [["1", "4"], ["2", "5"]])


def test_text_the_split_would_misread_goes_to_the_csv_module():
    quoted = 'a,"b,c"\n"d\ne",f\n'
    lines = quoted.splitlines(keepends=True)
    # Split a line at a time, quoted text would be misread: a field cut at its comma, a
    # record cut at its line end.
    assert as_read(_unquoted_sheet, lines) != as_read(_csv_sheet, lines)
    assert not _unquoted(quoted, lines)
    (sheet,) = read_csv(quoted.encode(), load_contract("rms"))
    assert sheet.header == ["a", "b,c"]
    assert [(r.row_number, r.fields, r.raw_text) for r in sheet.rows] == [(2, ["d\ne", "f"], '"d\ne",f')]
    assert not _unquoted("a\0b\n", ["a\0b\n"])
    limit = csv.field_size_limit(3)  # a line longer than the limit: the csv module refuses it
    try:
        assert not _unquoted("abcd", ["abcd"]) and _unquoted("abc", ["abc"])
    finally:
        csv.field_size_limit(limit)


@settings(max_examples=300, deadline=None)
@given(unquoted_texts)
def test_duckdb_splits_unquoted_rows_as_python_does(body):
    """The validator's rows of unquoted text, split by DuckDB, are the sheet's columns."""
    from pipelines.ingest.validate import _incoming, reference_connection

    lines = ("a,b,c\n" + body).splitlines(keepends=True)
    sheet = _unquoted_sheet(lines, "t", LIMITS)
    by_python = RawSheet(sheet.table, sheet.header, sheet.row_numbers, sheet.raw_texts, sheet.malformed_rows,
                         sheet.well_formed_numbers, split_columns=sheet.columns)
    con = reference_connection()
    try:
        seen = []
        for each in (sheet, by_python):
            with _incoming(con, each, ["c", "a"]):
                seen.append(con.execute("SELECT row_number, c, a FROM incoming ORDER BY row_number").fetchall())
    finally:
        con.close()
    assert seen[0] == seen[1]
    assert [n for n, *_ in seen[0]] == sheet.well_formed_numbers
