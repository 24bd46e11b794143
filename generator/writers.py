"""Byte-exact writers for the three delivery formats.

Why this much care: the warehouse identifies deliveries by sha256 ("the same file delivered
twice changes nothing"), so the generator must produce the same bytes for the same seed, and
its CSV framing (BOM, CRLF/LF, blank lines, a missing final line end, rows with too many or
too few fields) must be exactly what the spec says arrives.

The workbook is written with openpyxl in write-only mode (the national workbook is large) but
not through ``Workbook.save``: that stamps ``modified`` with the wall clock and the zip
entries with the current time. We drive openpyxl's ``ExcelWriter`` ourselves, into a zip
file whose every entry carries one fixed timestamp.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from pipelines.reproducible_zip import ReproducibleZipFile


# ------------------------------------------------------------------------------------------
# CSV
# ------------------------------------------------------------------------------------------
def csv_text(frame: pd.DataFrame, columns: list[str], *, eol: str, trailing_blank: int = 0,
             final_eol: bool = True) -> str:
    """Header plus rows; ``_broken`` rows lose two fields ('few') or gain one ('many')."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=",", quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator=eol)
    writer.writerow(columns)
    rows = frame[columns].to_numpy(object).tolist()
    if "_broken" in frame:
        broken = frame["_broken"].to_numpy(object)
        for i in (broken != "").nonzero()[0]:
            rows[i] = rows[i][:-2] if broken[i] == "few" else rows[i] + ["unexpected"]
    writer.writerows(rows)
    text = buf.getvalue() + eol * trailing_blank
    if not final_eol:
        text = text[: -len(eol)]
    return text


def encode_rms(text: str) -> bytes:
    """UTF-8 with a byte-order mark."""
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def encode_custody(text: str) -> bytes:
    """Windows-1252, strict: a character it cannot hold is a generator bug, not a fault."""
    return text.encode("cp1252")


# ------------------------------------------------------------------------------------------
# XLSX
# ------------------------------------------------------------------------------------------
def xlsx_bytes(sheets: list[tuple[str, list[str], list]], when: dt.datetime) -> bytes:
    """A workbook of ``(name, header, rows)`` sheets; a row ``()`` is a wholly empty row.

    ``when`` is the export time: it is written as the created/modified properties and as
    every zip entry's timestamp, so the bytes depend only on the content.
    """
    wb = Workbook(write_only=True)
    wb.properties.creator = "Checkpoint provider case system"
    wb.properties.lastModifiedBy = "export"
    wb.properties.created = when
    wb.properties.modified = when
    for name, header, rows in sheets:
        ws = wb.create_sheet(title=name)
        ws.append(header)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    archive = ReproducibleZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True, date_time=stamp)
    ExcelWriter(wb, archive).save()  # not wb.save(): that stamps 'modified' with the clock
    return buf.getvalue()


def sheet_rows(frame: pd.DataFrame, columns: list[str]) -> list:
    """Rows for openpyxl: NaN -> None, blank rows -> ()."""
    data = frame[columns].astype(object)
    data = data.where(data.notna(), None)
    rows = data.to_numpy(object).tolist()
    if "_blank" in frame:
        for i in frame["_blank"].to_numpy(bool).nonzero()[0]:
            rows[i] = ()
    return rows


# ------------------------------------------------------------------------------------------
def write_bytes(out_dir: Path, rel: str, data: bytes) -> dict:
    """Write one file; return its record for the summary."""
    path = Path(out_dir) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"path": rel, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
