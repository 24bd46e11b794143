"""JSON records a home keeps under its state folder, each written whole or not at all."""

from __future__ import annotations

import json
from pathlib import Path


def write_record(path: Path, record: dict) -> None:
    """Write a JSON record whole or not at all (a rename over the old one)."""
    staging = path.with_name(path.name + ".incoming")
    staging.write_text(json.dumps(record), encoding="utf-8")
    staging.replace(path)
