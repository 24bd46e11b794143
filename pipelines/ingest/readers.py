"""Read a delivery exactly as delivered into header + raw rows, or reject it whole.

Readers do no validation beyond what makes a file unreadable: they turn bytes into a header
and rows of text, keeping each row's raw text (for the restricted quarantine store) and
where it stood in the file (for lineage).
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import functools
import io
import itertools
import re
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipelines.contracts import SourceContract
from pipelines.ingest.limits import LIMITS, Limits


class DeliveryRejected(Exception):
    """The whole delivery is refused; the message says why, in words an admin can act on."""


@dataclass
class RawRow:
    row_number: int  # CSV: physical line the record starts on; workbook: worksheet row
    fields: list[str]
    raw_text: str


@dataclass
class RawSheet:
    """A sheet as read, kept a column at a time: the rows of a national month are too many to
    be objects each (``_unquoted_sheet``)."""
    table: str  # contract table name
    header: list[str]
    row_numbers: list[int] = field(default_factory=list)  # every row read, in file order
    raw_texts: list[str] = field(default_factory=list)  # of every row read, in the same order
    malformed_rows: list[RawRow] = field(default_factory=list)  # fields not as many as the header's
    # Of the rows as wide as the header: their numbers, and their texts, either one sequence
    # per header position, or (unquoted CSV) the rows' raw texts, whose comma-separated parts
    # they are: DuckDB splits those for the validator, and Python only where a column is
    # asked for (``columns``).
    well_formed_numbers: list[int] = field(default_factory=list)
    split_columns: list[Sequence[str]] | None = None
    comma_separated: list[str] | None = None

    @classmethod
    def of_rows(cls, table: str, header: list[str], rows: list[RawRow]) -> RawSheet:
        """The sheet of rows read one at a time."""
        width = len(header)
        wide = [row for row in rows if len(row.fields) == width]
        return cls(table, header, [row.row_number for row in rows], [row.raw_text for row in rows],
                   [row for row in rows if len(row.fields) != width], [row.row_number for row in wide],
                   list(zip(*(row.fields for row in wide))) if wide else None)

    @functools.cached_property
    def columns(self) -> list[Sequence[str]]:
        """The well-formed rows' texts, one sequence per header position."""
        width = len(self.header)
        if self.comma_separated:
            # Each is as wide as the header: joined and split once, the columns sliced out.
            fields = ",".join(self.comma_separated).split(",")
            return [fields[i::width] for i in range(width)]
        return self.split_columns or [() for _ in range(width)]

    @property
    def well_formed(self) -> tuple[list[int], list[Sequence[str]]]:
        """(row numbers, one sequence of texts per header position) of the rows as wide as the header."""
        return self.well_formed_numbers, self.columns

    @property
    def rows(self) -> list[RawRow]:
        """Every row read, in file order, made again from the columns (to look at a sheet; the
        pipeline works on the columns)."""
        fields_of = {row.row_number: row.fields for row in self.malformed_rows}
        fields_of.update(zip(self.well_formed_numbers, map(list, zip(*self.columns))))
        return [RawRow(n, fields_of[n], raw) for n, raw in zip(self.row_numbers, self.raw_texts)]

    def raw_text_of(self, row_number: int) -> str:
        """The raw text of the row read at ``row_number`` (rows are in file order)."""
        return self.raw_texts[bisect.bisect_left(self.row_numbers, row_number)]


def decode_strictly(data: bytes, encoding: str) -> str:
    """Decode the whole file or reject it: a wrong encoding is never half-read."""
    if encoding == "utf-8":
        encoding = "utf-8-sig"  # the BOM is expected but not required
    try:
        return data.decode(encoding, errors="strict")
    except UnicodeDecodeError as error:
        raise DeliveryRejected(
            f"wrong encoding: not valid {encoding.removesuffix('-sig')} "
            f"(byte 0x{data[error.start]:02X} at offset {error.start})"
        ) from None


def _unquoted(text: str, lines: list[str]) -> bool:
    """Whether every record of the text is one line whose fields are its comma-separated parts,
    exactly as the csv module reads it: no quote character anywhere (nothing joins lines or
    hides a comma), no NUL, and no line longer than the csv module's field limit (which it
    refuses)."""
    return '"' not in text and "\0" not in text and max(map(len, lines), default=0) <= csv.field_size_limit()


def _csv_records(lines: list[str]):
    """(line_number, fields, raw_text) per record, by the csv module.

    The reader's ``line_num`` says how many lines it has taken: a record's raw text is the
    lines taken for it, with no per-line bookkeeping of our own.
    """
    reader = csv.reader(lines)
    taken = 0
    for fields in reader:
        start, taken = taken + 1, reader.line_num
        raw = (lines[start - 1] if taken == start else "".join(lines[start - 1:taken])).rstrip("\r\n")
        if raw.strip():
            yield start, fields, raw


def _check_width(width: int, where: str, limits: Limits) -> None:
    if width > limits.max_columns:
        raise DeliveryRejected(f"{where} has {width} columns; the limit is {limits.max_columns}")


def read_csv(data: bytes, contract: SourceContract, limits: Limits = LIMITS) -> list[RawSheet]:
    if not data:
        raise DeliveryRejected("zero bytes: the file is empty")
    text = decode_strictly(data, contract.encoding or "utf-8")
    lines = text.splitlines(keepends=True)
    read = _unquoted_sheet if _unquoted(text, lines) else _csv_sheet
    return [read(lines, contract.tables[0].name, limits)]


def _csv_sheet(lines: list[str], table: str, limits: Limits) -> RawSheet:
    """The sheet as the csv module reads the lines."""
    records = _csv_records(lines)
    try:
        first = next(records, None)
        header = _csv_header(None if first is None else first[1], limits)
        return RawSheet.of_rows(table, header, [RawRow(*record) for record in records])
    except csv.Error as error:
        # The csv module's messages name the fault (a NUL, a field over its size limit), never the text.
        raise DeliveryRejected(f"unreadable CSV: {error}") from None


def _csv_header(fields: list[str] | None, limits: Limits) -> list[str]:
    if fields is None:
        raise DeliveryRejected("unreadable: no header row")
    _check_width(len(fields), "header", limits)
    return [h.strip().lower() for h in fields]


def _unquoted_sheet(lines: list[str], table: str, limits: Limits) -> RawSheet:
    """``_csv_sheet`` of unquoted text (``_unquoted``): each line that is not blank is a record,
    its fields its comma-separated parts. Only the malformed rows are split here: the rows as
    wide as the header are kept as their texts (``RawSheet.comma_separated``), so that
    neither a row object each nor, for the validator, a Python text each field is made."""
    raws = [line.rstrip("\r\n") for line in lines]
    numbers = [n for n, raw in enumerate(raws, start=1) if raw.strip()]
    header = _csv_header(raws[numbers[0] - 1].split(",") if numbers else None, limits)
    width = len(header)
    numbers = numbers[1:]
    texts = [raws[n - 1] for n in numbers]
    commas = [text.count(",") for text in texts]
    wide = [n for n, count in zip(numbers, commas) if count == width - 1]
    malformed = [RawRow(n, text.split(","), text) for n, text, count in zip(numbers, texts, commas)
                 if count != width - 1]
    wide_texts = texts if not malformed else [text for text, count in zip(texts, commas) if count == width - 1]
    return RawSheet(table, header, numbers, texts, malformed, wide, comma_separated=wide_texts)


def cell_text(value) -> str:
    """Worksheet cells as text: date cells in ISO form, whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_workbook_archive(data: bytes, limits: Limits = LIMITS) -> None:
    """Refuse a corrupt zip, or one that would inflate beyond the limit, before any of it is inflated.

    A zip member never inflates beyond its declared size (``zipfile`` stops there), so the
    declared sizes bound what reading the workbook can cost.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise DeliveryRejected("unreadable workbook: not a valid zip archive") from None
    if declared > limits.max_workbook_uncompressed_bytes:
        raise DeliveryRejected(f"workbook would inflate to {declared} bytes; the limit is "
                               f"{limits.max_workbook_uncompressed_bytes}")


def _read_sheet(worksheet, table, limits: Limits) -> RawSheet:
    # The <dimension> a file declares is not trusted: it would pad every row to its width.
    worksheet.reset_dimensions()
    rows = worksheet.iter_rows(values_only=True)  # each row as wide as its last cell
    return _sheet_from_rows(next(rows, None), rows, table, limits, None, cell_text)


def _sheet_from_rows(header_cells, rows, table, limits: Limits, empty, text_of) -> RawSheet:
    """A worksheet's header and rows, whichever reader gave them: ``empty`` is its empty cell
    (openpyxl's None, calamine's ''), ``text_of`` the text of one of its cells."""
    if header_cells is None:
        raise DeliveryRejected(f"sheet '{table.sheet}' has no header row")
    width = max((i + 1 for i, v in enumerate(header_cells) if v not in (empty, "")), default=0)
    _check_width(width, f"sheet '{table.sheet}' header", limits)
    header = [text_of(v).strip().lower() for v in header_cells[:width]]
    read = []
    for offset, cells in enumerate(rows, start=2):
        if offset > limits.max_sheet_rows:
            raise DeliveryRejected(f"sheet '{table.sheet}' has rows beyond row {limits.max_sheet_rows}")
        beyond = cells[width:]
        if beyond.count(empty) == len(beyond):  # the usual row: nothing past the header (C-speed test)
            texts = [text_of(v) for v in cells[:width]]
        else:
            far = cells[limits.max_columns:]
            if far.count(empty) != len(far):
                raise DeliveryRejected(
                    f"sheet '{table.sheet}' row {offset} has cells beyond column {limits.max_columns}")
            texts = [text_of(v) for v in cells]
            # Cells beyond the header's width count only if they hold something.
            while len(texts) > width and not texts[-1].strip():
                texts.pop()
        if not any(t.strip() for t in texts):
            continue  # a wholly empty worksheet row is not a row
        texts += [""] * (width - len(texts))
        read.append(RawRow(offset, texts, "\t".join(texts)))
    return RawSheet.of_rows(table.name, header, read)


def _fault(error: Exception) -> str:
    """What went wrong reading a workbook, in words that quote nothing from the file.

    openpyxl's and the parsers' messages quote cells and markup, which may be personal.
    """
    if isinstance(error, (zipfile.BadZipFile, zlib.error, EOFError)):
        return "a compressed part is corrupt"
    if isinstance(error, SyntaxError):  # xml.etree's ParseError and lxml's XMLSyntaxError
        return "a part is not well-formed XML"
    if isinstance(error, KeyError):
        return "a part is missing"
    if isinstance(error, (ValueError, IndexError, OverflowError, TypeError)):
        return f"a cell cannot be read ({type(error).__name__})"
    return f"it cannot be read ({type(error).__name__})"


# What python-calamine reads more leniently than the contract allows, so that a worksheet
# holding it is read by openpyxl, whose reading (and refusals) the contract's rules were
# written against: a typed date cell (t="d"; calamine hands an unparsable one over as text),
# an error cell (t="e"; calamine reads it as empty, openpyxl as its text, e.g. #N/A) and a
# row number of seven digits or more (calamine ignores one beyond 32 bits and numbers the
# row by its position; openpyxl takes it at its word and the row limit refuses it).
_LENIENT_IN_CALAMINE = re.compile(
    rb"""\bt\s*=\s*["'][de]["']|\br\s*=\s*["'][A-Za-z]{0,3}[0-9]{7}""")
# The same without the attribute's name: every match of the pattern above holds a match of
# this one, which has no leading word boundary to test at every byte (a national workbook's
# 19 MB of worksheet XML: 0.07 s against 0.22 s). The full pattern decides where it matches.
_MAYBE_LENIENT_IN_CALAMINE = re.compile(rb"""=\s*["'](?:[de]["']|[A-Za-z]{0,3}[0-9]{7})""")


def needs_strict_reader(data: bytes) -> bool:
    """Whether a worksheet of the workbook holds anything calamine reads more leniently."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.infolist():
            if not (member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")):
                continue
            with archive.open(member) as part:
                tail = b""
                for chunk in iter(lambda: part.read(1 << 22), b""):
                    window = tail + chunk
                    if _MAYBE_LENIENT_IN_CALAMINE.search(window) and _LENIENT_IN_CALAMINE.search(window):
                        return True
                    tail = chunk[-64:]  # a match cut between two chunks
    return False


class _CalamineDiffers(Exception):
    """A cell calamine turns into something other than openpyxl would: read with openpyxl."""


def _grid_cell_text(value) -> str:
    # A time of day (or a duration) is also what calamine makes of a date-styled negative
    # number, where openpyxl makes a date before 1900: no contract column holds a time.
    if isinstance(value, (dt.time, dt.timedelta)):
        raise _CalamineDiffers
    return cell_text(value)


def _sheet_from_grid(grid: list[list], table, limits: Limits) -> RawSheet:
    """A worksheet read by calamine (a dense grid from A1, empty cells as '') as header and rows,
    exactly as ``_read_sheet`` makes them from openpyxl's."""
    if (grid and grid[0] and grid[0][-1] != "" and len(grid) <= limits.max_sheet_rows
            and set(map(len, grid)) == {len(grid[0])}):
        # The usual sheet: nothing right of the header. Its cells are turned into text a
        # column at a time (a column of text cells is kept as it is), not cell by cell.
        return _sheet_from_columns(grid, table, limits)
    return _sheet_from_rows(grid[0] if grid else None, itertools.islice(grid, 1, None), table, limits,
                            "", _grid_cell_text)


def _column_texts(cells: tuple) -> tuple[str, ...]:
    """``_grid_cell_text`` of each cell: a column of text as it is; otherwise each distinct
    (type, value) turned into text once (a column of dates holds a few hundred days), keyed by
    type too so that True and 1.0, equal in Python, keep their own texts."""
    if set(map(type, cells)) <= {str}:
        return cells
    typed = list(zip(map(type, cells), cells))
    text_of = {pair: _grid_cell_text(pair[1]) for pair in set(typed)}
    return tuple(map(text_of.__getitem__, typed))


def _sheet_from_columns(grid: list[list], table, limits: Limits) -> RawSheet:
    """``_sheet_from_rows`` of a dense grid whose header fills its width: the same header and
    rows, each cell's text made by ``_grid_cell_text``, wholly empty rows skipped."""
    width = len(grid[0])
    _check_width(width, f"sheet '{table.sheet}' header", limits)
    header = [_grid_cell_text(v).strip().lower() for v in grid[0]]
    columns = [_column_texts(column) for column in zip(*itertools.islice(grid, 1, None))]
    raws = ["\t".join(texts) for texts in zip(*columns)]
    # Tabs are blank too: only a row with something in a cell is a row.
    kept = [i for i, raw in enumerate(raws) if raw.strip()]
    if len(kept) < len(raws):
        columns = [[column[i] for i in kept] for column in columns]
        raws = [raws[i] for i in kept]
    numbers = [i + 2 for i in kept]
    # Every row is as wide as the header: the grid is.
    return RawSheet(table.name, header, numbers, raws, [], numbers, columns)


def _read_xlsx_calamine(data: bytes, contract: SourceContract, limits: Limits) -> list[RawSheet]:
    import python_calamine  # imported here: only workbook deliveries need it

    workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    try:
        names = {name.strip().lower(): name for name in workbook.sheet_names}
        sheets = []
        for table in contract.tables:
            if table.sheet.lower() not in names:
                raise DeliveryRejected(f"unreadable workbook: sheet '{table.sheet}' is missing")
            grid = workbook.get_sheet_by_name(names[table.sheet.lower()]).to_python(skip_empty_area=False)
            sheets.append(_sheet_from_grid(grid, table, limits))
        return sheets
    finally:
        workbook.close()


def read_xlsx(data: bytes, contract: SourceContract, limits: Limits = LIMITS) -> list[RawSheet]:
    """Header and rows of each contract sheet: by python-calamine (Rust, about ten times
    openpyxl's speed), or by openpyxl where calamine would be more lenient or fails, so that
    every fault is refused or read exactly as openpyxl's reading decides."""
    if not data:
        raise DeliveryRejected("zero bytes: the file is empty")
    check_workbook_archive(data, limits)
    try:
        strict = needs_strict_reader(data)
    except Exception:  # a corrupt member: openpyxl says which kind of fault, quoting nothing
        strict = True
    if not strict:
        try:
            return _read_xlsx_calamine(data, contract, limits)
        except DeliveryRejected:
            raise
        except Exception:
            pass  # calamine's messages may quote cells: openpyxl's reading says what is wrong
    return _read_xlsx_openpyxl(data, contract, limits)


def _read_xlsx_openpyxl(data: bytes, contract: SourceContract, limits: Limits) -> list[RawSheet]:
    import openpyxl  # imported here: only workbook deliveries need it

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a corrupt zip or xml
        raise DeliveryRejected(f"unreadable workbook: {_fault(error)}") from None
    sheets = []
    table = None
    try:
        names = {name.strip().lower(): name for name in workbook.sheetnames}
        for table in contract.tables:
            if table.sheet.lower() not in names:
                raise DeliveryRejected(f"unreadable workbook: sheet '{table.sheet}' is missing")
            sheets.append(_read_sheet(workbook[names[table.sheet.lower()]], table, limits))
    except DeliveryRejected:
        raise
    except Exception as error:
        # A number cell holding text, a date cell that is no date, a shared string that does
        # not exist, a sheet inflated lazily from a corrupt member: only the sheet and the
        # kind of fault are told, and no exception is chained for a log to print.
        raise DeliveryRejected(f"unreadable workbook: sheet '{table.sheet}': {_fault(error)}") from None
    finally:
        workbook.close()
    return sheets


def read_delivery(data: bytes, contract: SourceContract, limits: Limits = LIMITS) -> list[RawSheet]:
    """Header and raw rows of a delivery's bytes (read once by discovery), or DeliveryRejected."""
    reader = read_xlsx if contract.format == "xlsx" else read_csv
    return reader(data, contract, limits)
