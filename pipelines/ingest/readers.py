"""Read a delivery exactly as delivered into header + raw rows, or reject it whole.

Readers do no validation beyond what makes a file unreadable: they turn bytes into a header
and rows of text, keeping each row's raw text (for the restricted quarantine store) and
where it stood in the file (for lineage).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
import zlib
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
    table: str  # contract table name
    header: list[str]
    rows: list[RawRow] = field(default_factory=list)


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


def _records_with_raw_text(text: str):
    """Yield (line_number, fields, raw_text) per CSV record, skipping wholly blank lines."""
    lines = text.splitlines(keepends=True)
    consumed: list[str] = []
    state = {"line": 0}

    def feed():
        for line in lines:
            state["line"] += 1
            consumed.append(line)
            yield line

    reader = csv.reader(feed())
    start = 1
    for fields in reader:
        raw = "".join(consumed).rstrip("\r\n")
        consumed.clear()
        if raw.strip():
            yield start, fields, raw
        start = state["line"] + 1


def _check_width(width: int, where: str, limits: Limits) -> None:
    if width > limits.max_columns:
        raise DeliveryRejected(f"{where} has {width} columns; the limit is {limits.max_columns}")


def read_csv(data: bytes, contract: SourceContract, limits: Limits = LIMITS) -> list[RawSheet]:
    if not data:
        raise DeliveryRejected("zero bytes: the file is empty")
    text = decode_strictly(data, contract.encoding or "utf-8")
    records = _records_with_raw_text(text)
    try:
        first = next(records, None)
        if first is None:
            raise DeliveryRejected("unreadable: no header row")
        _check_width(len(first[1]), "header", limits)
        header = [h.strip().lower() for h in first[1]]
        table = contract.tables[0]
        sheet = RawSheet(table.name, header)
        for line_number, fields, raw in records:
            sheet.rows.append(RawRow(line_number, fields, raw))
    except csv.Error as error:
        # The csv module's messages name the fault (a NUL, a field over its size limit), never the text.
        raise DeliveryRejected(f"unreadable CSV: {error}") from None
    return [sheet]


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
    header_cells = next(rows, None)
    if header_cells is None:
        raise DeliveryRejected(f"sheet '{table.sheet}' has no header row")
    width = max((i + 1 for i, v in enumerate(header_cells) if v not in (None, "")), default=0)
    _check_width(width, f"sheet '{table.sheet}' header", limits)
    header = [cell_text(v).strip().lower() for v in header_cells[:width]]
    sheet = RawSheet(table.name, header)
    for offset, cells in enumerate(rows, start=2):
        if offset > limits.max_sheet_rows:
            raise DeliveryRejected(f"sheet '{table.sheet}' has rows beyond row {limits.max_sheet_rows}")
        beyond = cells[width:]
        if beyond.count(None) == len(beyond):  # the usual row: nothing past the header (C-speed test)
            texts = [cell_text(v) for v in cells[:width]]
        else:
            far = cells[limits.max_columns:]
            if far.count(None) != len(far):
                raise DeliveryRejected(
                    f"sheet '{table.sheet}' row {offset} has cells beyond column {limits.max_columns}")
            texts = [cell_text(v) for v in cells]
            # Cells beyond the header's width count only if they hold something.
            while len(texts) > width and not texts[-1].strip():
                texts.pop()
        if not any(t.strip() for t in texts):
            continue  # a wholly empty worksheet row is not a row
        texts += [""] * (width - len(texts))
        sheet.rows.append(RawRow(offset, texts, "\t".join(texts)))
    return sheet


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


def read_xlsx(data: bytes, contract: SourceContract, limits: Limits = LIMITS) -> list[RawSheet]:
    if not data:
        raise DeliveryRejected("zero bytes: the file is empty")
    check_workbook_archive(data, limits)
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
