"""Find what is in the landing folder and decide what each file is.

A delivery name matches one source contract's ``file_regex``; anything else (lock files,
``.tmp`` files being written, notes) is not a delivery. Nothing here touches the warehouse.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.contracts import SOURCES, load_contract


@dataclass(frozen=True)
class LandedFile:
    file_name: str  # path relative to the landing folder, with forward slashes
    path: Path
    sha256: str
    source: str | None = None  # None: not a delivery
    month: str | None = None  # 'YYYY-MM'
    version: int | None = None

    @property
    def is_delivery(self) -> bool:
        return self.source is not None

    @property
    def order(self) -> tuple:
        """Deliveries are taken by source (rms, custody, programme), month, then version."""
        if not self.is_delivery:
            return (len(SOURCES), "", 0, self.file_name)
        return (SOURCES.index(self.source), self.month, self.version, self.file_name)


def parse_delivery_name(file_name: str) -> tuple[str, str, int] | None:
    """(source, 'YYYY-MM', version) for a delivery name, None for anything else."""
    for source in SOURCES:
        match = re.match(load_contract(source).file_regex, file_name)
        if not match:
            continue
        yyyymm = match["month"]
        year, month = int(yyyymm[:4]), int(yyyymm[4:])
        version = int(match["version"]) if match["version"] else 1
        # `_v1` and months like 202613 are not delivery names: the contract has no such file.
        if not 1 <= month <= 12 or (match["version"] and version < 2):
            return None
        return source, f"{year:04d}-{month:02d}", version
    return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def scan_landing(landing: Path) -> list[LandedFile]:
    """Every regular file under the landing folder, deliveries first in processing order."""
    found = []
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        file_name = path.relative_to(landing).as_posix()
        parsed = parse_delivery_name(file_name)
        source, month, version = parsed if parsed else (None, None, None)
        found.append(LandedFile(file_name, path, sha256_of(path), source, month, version))
    return sorted(found, key=lambda f: f.order)


def unseen_files(files: list[LandedFile], seen: list[tuple[str, str, str]]) -> list[LandedFile]:
    """The files no run has recorded, given dq.deliveries' (file_name, sha256, status) rows.

    A delivery is known by its name and bytes (changed bytes make a new delivery); a
    non-delivery is known by its name alone, so it is reported once whatever its bytes.
    """
    seen_files = {(name, sha) for name, sha, _ in seen}
    ignored = {name for name, _, status in seen if status == "ignored"}

    def is_new(landed: LandedFile) -> bool:
        if landed.is_delivery:
            return (landed.file_name, landed.sha256) not in seen_files
        return landed.file_name not in ignored

    return [f for f in files if is_new(f)]
