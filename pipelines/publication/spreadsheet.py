"""``checkpoint_measures_P.xlsx``: the published figures as accessible spreadsheet tables.

Laid out after the Analysis Function's "Releasing statistics in spreadsheets": a cover
sheet, a contents sheet, a notes sheet, then one sheet per measure group, each holding one
table. Every sheet has its title in A1; a table starts after a line or two of text, with no
blank row or column inside it, and is an Excel table (named, with a header row). No merged
cells. A table cell is never empty: a value cell holds the number (stored as a number) or
its marker (text), and the status cell holds ``[p]``, ``[r]``, ``[p][r]`` or the word
``none``.

Nothing depends on the clock: the workbook's created and modified properties are the
release date at 09:30, and the zip entries carry that timestamp too (openpyxl would stamp
both with the time of saving), so the same inputs give the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet
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


def workbook_file_name(period: str) -> str:
    return f"checkpoint_measures_{period}.xlsx"


def _title(ws: Worksheet, text: str) -> None:
    ws["A1"] = text
    ws["A1"].font = _TITLE


def _table(ws: Worksheet, name: str, top: int, header: tuple[str, ...], rows: list) -> None:
    """Header at row ``top`` then ``rows``, as an Excel table; column widths from content."""
    for i, h in enumerate(header, start=1):
        ws.cell(row=top, column=i, value=h).font = Font(bold=True)
    for r, row in enumerate(rows, start=top + 1):
        for i, v in enumerate(row, start=1):
            ws.cell(row=r, column=i, value=v)
    last_col = get_column_letter(len(header))
    table = Table(displayName=name, ref=f"A{top}:{last_col}{top + len(rows)}")
    table.tableStyleInfo = _STYLE
    ws.add_table(table)
    ws.freeze_panes = f"A{top + 1}"


def _widths(ws: Worksheet, widths: tuple[int, ...]) -> None:
    for i, w in enumerate(widths):
        ws.column_dimensions[get_column_letter(i + 1)].width = w


def _cover(ws, period, first_period, release, version, code_version) -> None:
    ws.title = "Cover"
    _title(ws, f"{PUBLICATION_TITLE}, {period_label(period)}")
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
    for row, (text, font) in enumerate(lines, start=2):
        ws.cell(row=row, column=1, value=text).font = font or Font()
    _widths(ws, (110,))


def _contents(ws, ref: Reference, period: str, outcome_sheets: list[tuple[str, str]]) -> None:
    _title(ws, "Contents")
    ws["A2"] = "This worksheet contains one table. Each link goes to a worksheet."
    rows = [("Notes", "Notes: definitions of the measures, markers and conventions")]
    for i, (sheet, wording, _) in enumerate(ref.groups, start=1):
        rows.append((sheet, f"Table {i}: {wording}, by month, breakdown and category, "
                            f"up to {period_label(period)}"))
    for i, (sheet, wording) in enumerate(outcome_sheets, start=len(ref.groups) + 1):
        rows.append((sheet, f"Table {i}: {wording}, up to {period_label(period)}"))
    _table(ws, "tbl_contents", 3, ("Worksheet name", "Worksheet title"), rows)
    for r in range(4, 4 + len(rows)):
        cell = ws.cell(row=r, column=1)
        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{cell.value}'!A1",
                                   display=cell.value)
        cell.style = "Hyperlink"
    _widths(ws, (18, 110))


def _notes(ws, ref: Reference, with_outcomes: bool) -> None:
    _title(ws, "Notes")
    ws["A2"] = "This worksheet contains one table of notes."
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
    numbered = [(f"Note {i}", term, text) for i, (term, text) in enumerate(rows, start=1)]
    _table(ws, "tbl_notes", 3, ("Note number", "Term", "Note text"), numbered)
    _widths(ws, (12, 30, 120))


def _group(ws, index: int, sheet: str, wording: str, cells: list[PublishedCell],
           first_period: str, period: str) -> None:
    ws.title = sheet
    _title(ws, f"Table {index}: {wording}, by month, breakdown and category, "
               f"{period_label(first_period)} to {period_label(period)}")
    ws["A2"] = ("This worksheet contains one table. Counts are whole numbers; rates are "
                "percentages and medians are days, to one decimal place. A value shown as "
                "[c], [z] or [x] is a marker explained in the Notes worksheet; the Status "
                "column shows [p] provisional and [r] revised.")
    rows = [
        (c.period, c.measure, UNIT_LABELS[c.unit], c.breakdown, c.category,
         c.marker if c.number is None else (c.number if c.unit == "count" else float(c.number)),
         c.status or NO_STATUS)
        for c in cells
    ]
    _table(ws, f"tbl_{sheet.lower()}", 3, TABLE_HEADER, rows)
    for r, c in enumerate(cells, start=4):
        if c.number is not None:
            ws.cell(row=r, column=6).number_format = "#,##0" if c.unit == "count" else "0.0"
    _widths(ws, (10, 30, 16, 16, 14, 10, 10))


def _outcome_group(ws, index: int, sheet: str, wording: str, cells: list[OutcomeCell],
                   period: str) -> None:
    """One outcome table: value and interval columns hold numbers, or the cell's marker;
    a count has no interval, shown [z] (not applicable)."""
    ws.title = sheet
    _title(ws, f"Table {index}: {wording}, up to {period_label(period)}")
    ws["A2"] = ("This worksheet contains one table. Counts are whole numbers; rates are "
                "percentages to one decimal place; a relative rate index is a ratio to two "
                "decimal places. A value shown as [c], [z] or [x] is a marker explained in the "
                "Notes worksheet; the Status column shows [p] provisional and [r] revised.")

    def shown(number, c: OutcomeCell):
        if c.marker:
            return c.marker
        if number is None:
            return NOT_APPLICABLE
        return number if c.unit == "count" else float(number)

    rows = [(c.period, c.measure, OUTCOME_UNITS[c.unit], c.breakdown, c.category,
             shown(c.number, c), shown(c.lower, c), shown(c.upper, c), c.status or NO_STATUS)
            for c in cells]
    _table(ws, "tbl_" + sheet.lower().replace(" ", "_"), 3, OUTCOME_HEADER, rows)
    for r, row in enumerate(rows, start=4):
        for col in (6, 7, 8):
            if not isinstance(row[col - 1], str):
                ws.cell(row=r, column=col).number_format = _OUTCOME_FORMATS[cells[r - 4].unit]
    _widths(ws, (10, 30, 16, 16, 14, 10, 16, 16, 10))


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
    wb = Workbook()
    wb.properties.title = f"{PUBLICATION_TITLE}, {period_label(period)}"
    wb.properties.creator = "Checkpoint Warehouse"
    wb.properties.language = "en-GB"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    _cover(wb.active, period, first_period, release, version, code_version)
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
