"""Hostile and broken landed files, made byte by byte for the hostile-input tests."""

from __future__ import annotations

import datetime as dt
import io
import os
import struct
import zipfile
from pathlib import Path

from tests.ingest_files import RMS_HEADER, rms_row, write_rms

SECRET = "SECRET-CELL O'Hara"  # planted in cells of rejected workbooks: must never be quoted anywhere


def workbook_bytes(contracts: list[list] | None = None, sessions: list[list] | None = None) -> bytes:
    """A valid programme workbook (openpyxl writes inline strings, no shared-string table)."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Contracts"
    sheet.append(["contract_ref", "custody_ref", "start_date", "planned_end_date", "status", "status_date",
                  "failure_reason"])
    for row in contracts if contracts is not None else [
            ["CP-000001", "DUR/C/26/000001", dt.date(2026, 10, 3), dt.date(2027, 2, 3), "ACTIVE", None, None]]:
        sheet.append(row)
    sheet = workbook.create_sheet("Sessions")
    sheet.append(["contract_ref", "session_date", "session_type", "attendance", "hours"])
    for row in sessions if sessions is not None else [
            ["CP-000001", dt.date(2026, 10, 5), "ASSESSMENT", "ATTENDED", 1.5]]:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def patch_member(data: bytes, member: str, old: str, new: str) -> bytes:
    """The workbook with one text replacement inside one of its XML parts."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == member:
                text = body.decode("utf-8")
                assert old in text, old
                body = text.replace(old, new).encode("utf-8")
            target.writestr(info, body)
    return out.getvalue()


SESSIONS = "xl/worksheets/sheet2.xml"


def text_in_number_cell() -> bytes:
    return patch_member(workbook_bytes(), SESSIONS, '<c r="E2" t="n"><v>1.5</v></c>',
                        f'<c r="E2" t="n"><v>{SECRET}</v></c>')


def garbage_date_cell() -> bytes:
    return patch_member(workbook_bytes(), SESSIONS, '<c r="B2" s="1" t="n"><v>46300</v></c>',
                        f'<c r="B2" t="d"><v>{SECRET} 31/02/1990</v></c>')


def bad_shared_string_index() -> bytes:
    return patch_member(workbook_bytes(), SESSIONS, '<c r="A2" t="inlineStr"><is><t>CP-000001</t></is></c>',
                        '<c r="A2" t="s"><v>7</v></c>')


def absurd_row_number() -> bytes:
    """A row numbered far beyond any worksheet: openpyxl would yield empty rows up to it."""
    return patch_member(workbook_bytes(), SESSIONS, '<row r="2">', '<row r="999999999999">')


def corrupt_zip() -> bytes:
    data = workbook_bytes()
    return data[: len(data) // 2] + b"\x00" * 64 + data[len(data) // 2 + 64:]


def _central_entry(data: bytearray, name: bytes) -> int:
    """Where a member's central directory entry starts (signature PK\1\2, name length at 28, name at 46)."""
    position = data.index(b"PK\x01\x02")
    while True:
        length = struct.unpack_from("<H", data, position + 28)[0]
        if bytes(data[position + 46: position + 46 + length]) == name:
            return position
        position = data.index(b"PK\x01\x02", position + 4)


def zip_bomb(declared: int = 3 * 1024**3) -> bytes:
    """A workbook whose sheet declares an uncompressed size of ``declared`` bytes (forged in place)."""
    data = bytearray(workbook_bytes())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(SESSIONS)
    size = min(declared, 0xFFFFFFFE)
    struct.pack_into("<I", data, _central_entry(data, SESSIONS.encode()) + 24, size)
    struct.pack_into("<I", data, info.header_offset + 22, size)  # the local header says the same
    return bytes(data)


def wide_header_csv(columns: int = 200_000) -> bytes:
    header = RMS_HEADER + [f"extra_{i}" for i in range(columns - len(RMS_HEADER))]
    return b"\xef\xbb\xbf" + ",".join(header).encode() + b"\r\n"


def write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def good_rms(landing: Path, month: str = "202610", extra_rows: list[dict] = ()) -> Path:
    rows = [rms_row(), rms_row(arrest_id="DUR-A-0000002"), *extra_rows]
    return write_rms(landing / "rms" / f"arrests_{month}.csv", rows)


def hostile_landing(landing: Path, outside: Path) -> dict[str, str]:
    """A landing folder of poison files; returns file name (as recorded) -> expected status."""
    good_rms(landing, extra_rows=[rms_row(arrest_id="DUR-A-0000003", version="2147483648")])
    expected = {"rms/arrests_202610.csv": "accepted"}
    # Names: a trailing newline, bytes that are not UTF-8 (in a file and in a folder name).
    write_bytes(landing / "rms" / "arrests_202611.csv\n", (landing / "rms" / "arrests_202610.csv").read_bytes())
    expected["rms/arrests_202611.csv\\n"] = "ignored"
    bad = os.fsdecode(b"arrests_2026\xff1.csv")
    write_bytes(landing / "rms" / bad, b"x")
    expected["rms/arrests_2026\\xff1.csv"] = "ignored"
    write_bytes(landing / os.fsdecode(b"\xfe\xfd") / "custody_202610.csv", b"x")
    expected["\\xfe\\xfd/custody_202610.csv"] = "ignored"
    # Links out of the landing folder, with and without a delivery name; a folder link.
    secret = write_bytes(outside / "elsewhere.csv", (landing / "rms" / "arrests_202610.csv").read_bytes())
    (landing / "rms" / "arrests_202612.csv").symlink_to(secret)
    expected["rms/arrests_202612.csv"] = "rejected"
    (landing / "passwd").symlink_to("/etc/passwd")
    expected["passwd"] = "ignored"
    (landing / "linked_folder").symlink_to(outside, target_is_directory=True)
    expected["linked_folder"] = "ignored"
    # A fifo with a delivery name: opening it for reading would block forever.
    (landing / "custody").mkdir(parents=True, exist_ok=True)
    os.mkfifo(landing / "custody" / "custody_202610.csv")
    expected["custody/custody_202610.csv"] = "rejected"
    write_bytes(landing / "rms" / "arrests_202610_v2147483648.csv", b"x")
    expected["rms/arrests_202610_v2147483648.csv"] = "rejected"
    write_bytes(landing / "rms" / "arrests_202609.csv", wide_header_csv())
    expected["rms/arrests_202609.csv"] = "rejected"
    for month, data in (("202610", text_in_number_cell()), ("202611", garbage_date_cell()),
                        ("202612", bad_shared_string_index()), ("202609", corrupt_zip()),
                        ("202608", zip_bomb()), ("202607", absurd_row_number())):
        write_bytes(landing / "programme" / f"checkpoint_programme_{month}.xlsx", data)
        expected[f"programme/checkpoint_programme_{month}.xlsx"] = "rejected"
    return expected
