"""``checkpoint_measures_P.xlsx``: the published figures as accessible spreadsheet tables.

Laid out after the Analysis Function's "Releasing statistics in spreadsheets": a cover
sheet, a contents sheet, a notes sheet, then one sheet per measure group, each holding one
table. Every sheet has its title in A1; a table starts after a line or two of text, with no
blank row or column inside it, and is an Excel table (named, with a header row). No merged
cells. A table cell is never empty: a value cell holds the number (stored as a number) or
its marker (text), and the status cell holds ``[p]``, ``[r]``, ``[p][r]`` or the word
``none``.

The workbook is written row by row (openpyxl's write-only mode), so a sheet's head (column
widths, frozen header) is set before its first row and each table names its own columns.

Nothing depends on the clock: the workbook's created and modified properties are the
release date at 09:30, and the zip entries carry that timestamp too (openpyxl would stamp
both with the time of saving), so the same inputs give the same bytes.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.writer.excel import ExcelWriter

from pipelines.publication.disclosure import NOT_APPLICABLE, PublishedCell
from pipelines.publication.outcomes import (
    OUTCOME_CAVEATS,
    OUTCOME_GROUPS,
    OutcomeCell,
    outcome_measures,
)
from pipelines.publication.periods import period_label
from pipelines.publication.reference import Reference
from pipelines.publication.text import (
    CONTACT,
    MARKER_NOTES,
    PUBLICATION_TITLE,
    UNIT_LABELS,
    breakdown_note,
    long_date,
    status_text,
)
from pipelines.reproducible_zip import ReproducibleZipFile

NO_STATUS = "none"
TABLE_HEADER = ("Period", "Measure", "Unit", "Breakdown", "Category", "Value", "Status")
OUTCOME_HEADER = ("Period", "Measure", "Unit", "Breakdown", "Category", "Value",
                  "Lower 95% limit", "Upper 95% limit", "Status")
OUTCOME_UNITS = {"count": "count", "rate": "percentage", "rri": "ratio to White"}
_OUTCOME_FORMATS = {"count": "#,##0", "rate": "0.0", "rri": "0.00"}
_TITLE = Font(bold=True, size=14)
_HEADING = Font(bold=True, size=12)
_STYLE = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
_RELEASE_TIME = (9, 30, 0)
TABLE_TOP = 3  # every table: title in A1, a line about it in A2, its header in row 3


def workbook_file_name(period: str) -> str:
    return f"checkpoint_measures_{period}.xlsx"


def _cell(ws: WriteOnlyWorksheet, value, **style) -> WriteOnlyCell:
    """A cell with its style (font, number_format, hyperlink, style), to append in a row."""
    cell = WriteOnlyCell(ws, value=value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _start(ws: WriteOnlyWorksheet, title: str, widths: tuple[int, ...], about_table: str | None = None) -> None:
    """A sheet's head, written before its first row: column widths and, on a sheet with a
    table, the header frozen; then the title in A1 and the line about the table in A2."""
    for i, w in enumerate(widths):
        ws.column_dimensions[get_column_letter(i + 1)].width = w
    if about_table is not None:
        ws.freeze_panes = f"A{TABLE_TOP + 1}"
    ws.append([_cell(ws, title, font=_TITLE)])
    if about_table is not None:
        ws.append([about_table])


def _table(ws: WriteOnlyWorksheet, name: str, header: tuple[str, ...], rows: list[list]) -> None:
    """Header at row ``TABLE_TOP`` (the next row, after ``_start``) then ``rows``, as an Excel table."""
    ws.append([_cell(ws, h, font=Font(bold=True)) for h in header])
    for row in rows:
        ws.append(row)
    ref = f"A{TABLE_TOP}:{get_column_letter(len(header))}{TABLE_TOP + len(rows)}"
    # Named by the header, with a filter, as openpyxl would read them off a worksheet it keeps
    # (a write-only one keeps no rows to read them from).
    table = Table(displayName=name, ref=ref, autoFilter=AutoFilter(ref=ref),
                  tableColumns=[TableColumn(id=i, name=h) for i, h in enumerate(header, start=1)])
    table.tableStyleInfo = _STYLE
    with warnings.catch_warnings():  # the reminder that a write-only sheet's columns are ours to name
        warnings.filterwarnings("ignore", "In write-only mode you must add table columns manually")
        ws.add_table(table)


def _cover(ws, period, first_period, release, version, code_version) -> None:
    _start(ws, f"{PUBLICATION_TITLE}, {period_label(period)}", (110,))
    lines = [
        ("This spreadsheet holds the monthly Checkpoint measures for every month from "
         f"{period_label(first_period)} to {period_label(period)}, in total and by sex, age "
         "band, ethnicity group, drug class and offence group.", None),
        ("Period covered", _HEADING),
        (f"{period_label(first_period)} to {period_label(period)}", None),
        ("Release date", _HEADING),
        (long_date(release), None),
        ("Status", _HEADING),
        (status_text(period, version), None),
        ("Contact", _HEADING),
        (CONTACT, None),
        ("Code version", _HEADING),
        (code_version, None),
    ]
    for text, font in lines:
        ws.append([_cell(ws, text, font=font or Font())])


def _contents(ws, ref: Reference, period: str, outcome_sheets: list[tuple[str, str]]) -> None:
    _start(ws, "Contents", (18, 110), "This worksheet contains one table. Each link goes to a worksheet.")
    rows = [("Notes", "Notes: definitions of the measures, markers and conventions")]
    for i, (sheet, wording, _) in enumerate(ref.groups, start=1):
        rows.append((sheet, f"Table {i}: {wording}, by month, breakdown and category, "
                            f"up to {period_label(period)}"))
    for i, (sheet, wording) in enumerate(outcome_sheets, start=len(ref.groups) + 1):
        rows.append((sheet, f"Table {i}: {wording}, up to {period_label(period)}"))
    linked = [[_cell(ws, sheet, hyperlink=Hyperlink(ref="", location=f"'{sheet}'!A1", display=sheet),
                     style="Hyperlink"), title] for sheet, title in rows]
    _table(ws, "tbl_contents", ("Worksheet name", "Worksheet title"), linked)


def _notes(ws, ref: Reference, with_outcomes: bool) -> None:
    _start(ws, "Notes", (12, 30, 120), "This worksheet contains one table of notes.")
    rows = []
    for m in ref.measures:
        rows.append((m.name, f"{m.definition}. Unit: {UNIT_LABELS[m.unit]}. Counted when: "
                             f"{m.counted_when}. Source extract: {m.source}."))
    if with_outcomes:
        for m in outcome_measures():
            rows.append((m.name, f"{m.definition}. Unit: {OUTCOME_UNITS[m.unit]}."))
        rows.extend(OUTCOME_CAVEATS)
    rows.extend(MARKER_NOTES)
    rows.append(("Breakdowns", breakdown_note(ref)))
    rows.append((NO_STATUS, "In the Status column: the figure is neither provisional nor "
                            "revised."))
    numbered = [[f"Note {i}", term, text] for i, (term, text) in enumerate(rows, start=1)]
    _table(ws, "tbl_notes", ("Note number", "Term", "Note text"), numbered)


def _group(ws, index: int, sheet: str, wording: str, cells: list[PublishedCell],
           first_period: str, period: str) -> None:
    _start(ws, f"Table {index}: {wording}, by month, breakdown and category, "
               f"{period_label(first_period)} to {period_label(period)}", (10, 30, 16, 16, 14, 10, 10),
           "This worksheet contains one table. Counts are whole numbers; rates are "
           "percentages and medians are days, to one decimal place. A value shown as "
           "[c], [z] or [x] is a marker explained in the Notes worksheet; the Status "
           "column shows [p] provisional and [r] revised.")

    def value(c: PublishedCell):
        if c.number is None:
            return c.marker
        if c.unit == "count":
            return _cell(ws, c.number, number_format="#,##0")
        return _cell(ws, float(c.number), number_format="0.0")

    rows = [[c.period, c.measure, UNIT_LABELS[c.unit], c.breakdown, c.category, value(c), c.status or NO_STATUS]
            for c in cells]
    _table(ws, f"tbl_{sheet.lower()}", TABLE_HEADER, rows)


def _outcome_group(ws, index: int, sheet: str, wording: str, cells: list[OutcomeCell],
                   period: str) -> None:
    """One outcome table: value and interval columns hold numbers, or the cell's marker;
    a count has no interval, shown [z] (not applicable)."""
    _start(ws, f"Table {index}: {wording}, up to {period_label(period)}", (10, 30, 16, 16, 14, 10, 16, 16, 10),
           "This worksheet contains one table. Counts are whole numbers; rates are "
           "percentages to one decimal place; a relative rate index is a ratio to two "
           "decimal places. A value shown as [c], [z] or [x] is a marker explained in the "
           "Notes worksheet; the Status column shows [p] provisional and [r] revised.")

    def shown(number, c: OutcomeCell):
        if c.marker:
            return c.marker
        if number is None:
            return NOT_APPLICABLE
        return _cell(ws, number if c.unit == "count" else float(number), number_format=_OUTCOME_FORMATS[c.unit])

    rows = [[c.period, c.measure, OUTCOME_UNITS[c.unit], c.breakdown, c.category,
             shown(c.number, c), shown(c.lower, c), shown(c.upper, c), c.status or NO_STATUS]
            for c in cells]
    _table(ws, "tbl_" + sheet.lower().replace(" ", "_"), OUTCOME_HEADER, rows)


def workbook_bytes(
    cells: list[PublishedCell],
    ref: Reference,
    period: str,
    release: date,
    version: int,
    code_version: str,
    outcomes: list[OutcomeCell] = (),
) -> bytes:
    """The workbook; ``outcomes`` (the outcomes file's cells, with status) add one table per
    outcome group that has cells (none before twelve months have been delivered)."""
    first_period = cells[0].period
    outcome_tables = [(sheet, wording, [c for c in outcomes if c.family in families])
                      for sheet, wording, families in OUTCOME_GROUPS]
    outcome_tables = [t for t in outcome_tables if t[2]]
    stamp = datetime(release.year, release.month, release.day, *_RELEASE_TIME)
    # Write-only: each row is written as it is appended, not kept as cell objects until the
    # save (ten national years: about 500,000 cells).
    wb = Workbook(write_only=True)
    wb.properties.title = f"{PUBLICATION_TITLE}, {period_label(period)}"
    wb.properties.creator = "Checkpoint Warehouse"
    wb.properties.language = "en-GB"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    _cover(wb.create_sheet("Cover"), period, first_period, release, version, code_version)
    _contents(wb.create_sheet("Contents"), ref, period, [(s, w) for s, w, _ in outcome_tables])
    _notes(wb.create_sheet("Notes"), ref, bool(outcome_tables))
    for i, (sheet, wording, measures) in enumerate(ref.groups, start=1):
        group_cells = [c for c in cells if c.measure in measures]  # cells are in order
        _group(wb.create_sheet(sheet), i, sheet, wording, group_cells, first_period, period)
    for i, (sheet, wording, group_cells) in enumerate(outcome_tables, start=len(ref.groups) + 1):
        _outcome_group(wb.create_sheet(sheet), i, sheet, wording, group_cells, period)
    raw = io.BytesIO()
    with ReproducibleZipFile(raw, "w", zipfile.ZIP_DEFLATED, date_time=stamp.timetuple()[:6]) as archive:
        # ExcelWriter, not Workbook.save, which would stamp "modified" with the clock.
        ExcelWriter(wb, archive).save()
    return raw.getvalue()
