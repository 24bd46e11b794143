"""``manifest.json``: what the bundle was made from (publication.md, "manifest.json").

Key order, indentation and the ``files`` order are fixed, so equal inputs give equal bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping

from pipelines.calendar_uk import parse_period
from pipelines.contracts import SOURCES
from pipelines.publication.disclosure import is_missing

MANIFEST_NAME = "manifest.json"
COUNTS = ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _count(d: Mapping, name: str) -> int:
    v = d.get(name)
    if is_missing(v) or float(v) != int(float(v)) or float(v) < 0:
        raise ValueError(f"accepted delivery {d.get('file_name')!r} has {name}={v!r}")
    return int(float(v))


def accepted_deliveries(deliveries: Iterable[Mapping]) -> list[dict]:
    """The manifest's ``deliveries``: every accepted delivery, header-only ones included,
    in the order source (rms, custody, programme), month, version."""
    out = []
    for d in deliveries:
        if d.get("status") != "accepted":
            continue
        if d.get("source") not in SOURCES:
            raise ValueError(f"accepted delivery with unknown source: {d!r}")
        parse_period(d.get("month"))
        sha = str(d.get("sha256") or "").lower()
        if not _SHA256.match(sha):
            raise ValueError(f"accepted delivery {d.get('file_name')!r} has no SHA-256")
        version = d.get("version")
        if is_missing(version):
            raise ValueError(f"accepted delivery {d.get('file_name')!r} has no version")
        entry = {
            "source": d["source"],
            "month": d["month"],
            "file_name": str(d["file_name"]),
            "sha256": sha,
            **{name: _count(d, name) for name in COUNTS},
        }
        out.append(((SOURCES.index(d["source"]), d["month"], int(version), entry["file_name"]),
                    entry))
    return [entry for _, entry in sorted(out, key=lambda t: t[0])]


def manifest_bytes(
    period: str,
    version: int,
    code_version: str,
    deliveries: list[dict],
    files: Mapping[str, bytes],
) -> bytes:
    """``deliveries`` as from :func:`accepted_deliveries`; ``files`` every other file."""
    manifest = {
        "period": period,
        "version": version,
        "code_version": code_version,
        "deliveries": deliveries,
        "files": {name: sha256_hex(files[name]) for name in sorted(files)},
    }
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
