"""How much of a landed file ingest will take on: the one declaration of its limits.

Each limit is enforced before the work it bounds (a file's size before it is read into
memory, a workbook's declared uncompressed size before it is inflated, a header's width
before any row is looked at), so a hostile or broken file costs bounded time and memory and
is rejected whole with a reason, never half-read. The values are far above what a real
month holds at national scale (tens of MB, under twenty columns), so only a broken or
hostile file meets them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 256 * 1024 * 1024
    # A header holds the contract's columns plus a few drifted ones; thousands is an accident.
    max_columns: int = 500
    # The sum of a workbook's declared member sizes (a zip's inflated size is capped by them).
    max_workbook_uncompressed_bytes: int = 256 * 1024 * 1024
    # Excel's own maximum: a worksheet row number beyond it is not a real row.
    max_sheet_rows: int = 1_048_576
    # dq.deliveries.version and record versions are 32-bit INTEGER columns.
    max_version: int = 2**31 - 1


LIMITS = Limits()
