"""Unquoted CSV text is split a line at a time, without the csv module: records, fields, line
numbers and raw texts exactly as the csv module makes them, for any such text."""

from __future__ import annotations

import csv

from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.ingest.readers import _csv_records, _records_with_raw_text, _unquoted, _unquoted_records

# Separators, spaces, every line boundary str.splitlines knows (the csv module sees only \r
# and \n as line ends, the others as text) and a few ordinary characters.
PIECES = [",", ",", "a", "Ní", " ", "\t", "\r", "\n", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85",
          "\u2028", "\u2029"]
unquoted_texts = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)


@settings(max_examples=400, deadline=None)
@given(unquoted_texts)
def test_unquoted_text_is_read_as_the_csv_module_reads_it(text):
    lines = text.splitlines(keepends=True)
    assert _unquoted(text, lines)
    assert list(_unquoted_records(lines)) == list(_csv_records(lines))


def test_text_the_split_would_misread_goes_to_the_csv_module():
    quoted = 'a,"b,c"\n"d\ne",f\n'
    lines = quoted.splitlines(keepends=True)
    # Split a line at a time, quoted text would be misread: a field cut at its comma, a
    # record cut at its line end.
    assert list(_unquoted_records(lines)) != list(_csv_records(lines))
    assert not _unquoted(quoted, lines)
    assert list(_records_with_raw_text(quoted)) == [(1, ["a", "b,c"], 'a,"b,c"'), (2, ["d\ne", "f"], '"d\ne",f')]
    assert not _unquoted("a\0b\n", ["a\0b\n"])
    limit = csv.field_size_limit(3)  # a line longer than the limit: the csv module refuses it
    try:
        assert not _unquoted("abcd", ["abcd"]) and _unquoted("abc", ["abc"])
    finally:
        csv.field_size_limit(limit)
