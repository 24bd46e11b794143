"""dbt's view of the tables ingest writes, from their one declaration.

The ``dq`` source (``dbt_project/models/staging/_dq__sources.yml``) is generated from
``pipelines.dq`` by ``checkpoint-warehouse expectations`` and a test keeps the committed file
equal to it. The ``raw`` source (``__sources.yml``) carries the analysts' descriptions by
hand; a test keeps its tables and columns equal to what the contracts load.
"""

from __future__ import annotations

import yaml

from pipelines import dq
from pipelines.paths import DBT_PROJECT_DIR

STAGING_DIR = DBT_PROJECT_DIR / "models" / "staging"
RAW_SOURCES = STAGING_DIR / "__sources.yml"
DQ_SOURCES = STAGING_DIR / "_dq__sources.yml"
HEADER = "# Generated from pipelines/dq.py by `checkpoint-warehouse expectations`; do not edit.\n"


def dq_sources() -> dict:
    return {"version": 2, "sources": [{
        "name": dq.SCHEMA,
        "schema": dq.SCHEMA,
        "description": "Data-quality tables written by ingest, declared in pipelines/dq.py.",
        "tables": [{"name": t.name, "description": t.description,
                    "columns": [{"name": name, "description": text} for name, _, text in t.columns]}
                   for t in dq.INGEST_TABLES],
    }]}


def dq_sources_text() -> str:
    return HEADER + yaml.safe_dump(dq_sources(), sort_keys=False, allow_unicode=True, width=100)


def write_dq_sources() -> str:
    DQ_SOURCES.write_text(dq_sources_text(), encoding="utf-8")
    return DQ_SOURCES.relative_to(DBT_PROJECT_DIR.parent).as_posix()
