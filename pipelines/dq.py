"""The ``dq`` schema as an interface: every data-quality table and the words its rows use.

Ingest writes these tables, alerts, planning, the publication and dbt read them. The
vocabularies are named values here so a writer and a reader cannot drift apart, and what
failed is kept as data (a reason's kind, its column or rule) so no reader parses prose the
project wrote. Messages are for people; they name the column and the rule, never the
offending value (that stays in the restricted store, ``HOME/restricted/quarantine.duckdb``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import yaml

from pipelines.paths import REPO_ROOT, STAGING_DIR

SCHEMA = "dq"


class DeliveryStatus(StrEnum):
    """A file's fate in ``dq.deliveries``."""
    ACCEPTED = "accepted"  # loaded, in force
    SUPERSEDED = "superseded"  # a higher version of its month is in force: none of its rows in raw
    REJECTED = "rejected"  # refused whole, nothing loaded
    DUPLICATE = "duplicate"  # the same bytes as a file already seen
    IGNORED = "ignored"  # not a delivery name: recorded once, never loaded


class EventKind(StrEnum):
    """A notable event of a delivery in ``dq.delivery_events``."""
    REJECTED = "rejected"  # detail: the one-line reason
    SCHEMA_DRIFT = "schema_drift"  # column_names: the extra columns ignored; event_count: how many
    HEADER_ONLY = "header_only"
    QUARANTINED = "quarantined"  # event_count: rows quarantined
    CONTRACT_MISSING_FROM_SNAPSHOT = "contract_missing_from_snapshot"  # event_count: keys missing
    GATE_FAILED = "gate_failed"  # rejected: GX refused rows the validator passed; event_count: failed expectations


class ReasonKind(StrEnum):
    """Why a row was quarantined, in ``dq.quarantine_reasons.kind``."""
    REQUIRED = "required"  # column_name: empty although required
    NOT_OF_TYPE = "not_of_type"  # column_name: not a number / date of the contract's format
    NOT_A_FLAG = "not_a_flag"  # column_name: not Y or N
    PATTERN = "pattern"  # column_name: does not match the contract's pattern
    CODE_LIST = "code_list"  # column_name: not in the code list
    BELOW_MINIMUM = "below_minimum"  # column_name
    ABOVE_MAXIMUM = "above_maximum"  # column_name
    OUTSIDE_MONTH = "outside_month"  # column_name: the table's month column is not the file's month
    RULE = "rule"  # rule_name: a cross-column rule of the contract is broken
    FIELD_COUNT = "field_count"  # the row has more or fewer fields than the header
    KEY_IN_DELIVERY = "key_in_delivery"  # column_name: the key columns; another row, other values
    KEY_CHANGED = "key_changed"  # column_name: the key columns; loaded earlier with other values
    KEY_OTHER_MONTH = "key_other_month"  # column_name: the key columns; owned by another month
    PERSONAL_DATA = "personal_data"  # column_name, rule_name: the screen (contracts/screens.yaml) it matched


COLUMN_REASONS = frozenset({ReasonKind.REQUIRED, ReasonKind.NOT_OF_TYPE, ReasonKind.NOT_A_FLAG,
                            ReasonKind.PATTERN, ReasonKind.CODE_LIST, ReasonKind.BELOW_MINIMUM,
                            ReasonKind.ABOVE_MAXIMUM, ReasonKind.OUTSIDE_MONTH})


@dataclass(frozen=True)
class Reason:
    """One failed check of a row: what failed as data, and a message that never holds the value."""
    kind: ReasonKind
    message: str
    column_name: str | None = None
    rule_name: str | None = None


class Severity(StrEnum):
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class DqTable:
    name: str
    description: str
    columns: tuple[tuple[str, str, str], ...]  # (name, SQL type, description)

    @property
    def qualified(self) -> str:
        return f"{SCHEMA}.{self.name}"

    def ddl(self) -> str:
        body = ", ".join(f"{name} {sql_type}" for name, sql_type, _ in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {self.qualified} ({body});"

    def insert_sql(self) -> str:
        names = [name for name, _, _ in self.columns]
        return f"INSERT INTO {self.qualified} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"


# Columns several tables share, described once.
_SHARED = {
    "sha256": ("VARCHAR", "The delivery's SHA-256."),
    "source": ("VARCHAR", "The delivery's source."),
    "month": ("VARCHAR", "The delivery's month `YYYY-MM`."),
    "version": ("INTEGER", "The delivery's version."),
    "file_name": ("VARCHAR", "The delivery's path relative to the landing folder."),
    "table_name": ("VARCHAR", "The contract table the row was meant for."),
    "row_number": ("INTEGER", "1-based data row in the file or sheet."),
}
_FILE = ("sha256", "file_name")
_DELIVERY = ("sha256", "source", "month", "version", "file_name")
_ROW = ("table_name", "row_number")


def _table(name: str, description: str, *columns: str | tuple[str, str, str]) -> DqTable:
    """A table from its columns: a shared column's name, or (name, SQL type, description)."""
    return DqTable(name, description, tuple(
        (c, *_SHARED[c]) if isinstance(c, str) else c for c in columns))


def _one_of(values) -> str:
    return "One of " + ", ".join(f"`{v}`" for v in values) + "."


DELIVERIES = _table(
    "deliveries",
    "One row per file seen in the landing folder, with its fate (publication.md, \"What analysts see\"). "
    "Decides the measure grid's months and whether a source is available for a month.",
    ("source", "VARCHAR", "`rms`, `custody` or `programme`; NULL for an ignored non-delivery."),
    ("month", "VARCHAR", "The delivery's month `YYYY-MM`; NULL for an ignored non-delivery."),
    ("version", "INTEGER", "Delivery version (1, or N for `_vN`)."),
    ("file_name", "VARCHAR NOT NULL", "Path relative to the landing folder."),
    ("sha256", "VARCHAR", "Lower-case hex SHA-256 of the file's bytes."),
    ("status", "VARCHAR NOT NULL", _one_of(DeliveryStatus)),
    ("rows_read", "INTEGER", "Rows read (NULL for rejected, duplicate and ignored files)."),
    ("rows_loaded", "INTEGER", "Rows loaded (0 for a version that arrived after a higher one was in force)."),
    ("rows_quarantined", "INTEGER", "Rows quarantined."),
    ("rows_duplicate", "INTEGER", "Rows set aside as duplicates."),
    ("reason", "VARCHAR", "Why a delivery was rejected, superseded or ignored (for people)."),
    ("seen_order", "INTEGER NOT NULL", "Order in which ingest first saw the file (1, 2, …); decides which "
                                       "of two same-named deliveries came later."),
)

QUARANTINED_ROWS = _table(
    "quarantined_rows",
    "One row per quarantined row (its raw text is only in the restricted store); what failed is in "
    "dq.quarantine_reasons.",
    *_DELIVERY, *_ROW,
    ("reason", "VARCHAR", "The row's reason messages joined by `; ` (names the column or rule, never a value)."),
)

QUARANTINE_REASONS = _table(
    "quarantine_reasons",
    "One row per failed check of a quarantined row: what failed, as data.",
    *_FILE, *_ROW,
    ("kind", "VARCHAR", _one_of(ReasonKind)),
    ("column_name", "VARCHAR", "The column that failed (the key's columns, comma-separated, for a key clash)."),
    ("rule_name", "VARCHAR", "The contract rule broken (kind `rule`), or the screen matched (kind `personal_data`)."),
    ("message", "VARCHAR", "The reason for people; never the offending value."),
)

DELIVERY_EVENTS = _table(
    "delivery_events",
    "Notable events of a delivery, alerted to admins.",
    *_DELIVERY,
    ("event", "VARCHAR", _one_of(EventKind)),
    ("severity", "VARCHAR", _one_of(Severity)),
    ("event_count", "INTEGER", "How many (rows quarantined, keys missing, columns drifted, expectations failed)."),
    ("column_names", "VARCHAR[]", "The columns concerned (a schema drift's extra columns, a snapshot's key)."),
    ("detail", "VARCHAR", "Human-readable detail of the event."),
)

VALIDATION_RESULTS = _table(
    "validation_results",
    "One row per GX expectation run on a delivery's rows before they load; a failure rejects the delivery.",
    *_FILE, "table_name",
    ("suite", "VARCHAR", "The GX suite (`<source>__<table>`, expectations/)."),
    ("expectation", "VARCHAR", "The expectation type."),
    ("column_name", "VARCHAR", "Its column, if any."),
    ("success", "BOOLEAN", "Whether it passed."),
    ("unexpected_count", "INTEGER", "Rows failing it."),
    ("element_count", "INTEGER", "Rows it saw."),
    ("seen_order", "INTEGER", "The dq.deliveries row it belongs to (a file the gate refused is taken again)."),
)

SNAPSHOT_FOLDS = _table(
    "snapshot_folds",
    "Loaded rows of a snapshot table (workbook contracts) later removed from raw because they only "
    "repeat the key's row before them: a key keeps the row where each of its values began and its "
    "latest row, which is what the models read (docs/decisions.md, \"Storing a contract once per "
    "change\"). One row per delivery "
    "that lost rows, table and delivery whose loading removed them; for an accepted delivery, its "
    "rows in raw plus its rows folded are its rows loaded.",
    *_FILE, "table_name",
    ("rows_folded", "INTEGER", "Rows of the delivery removed from raw."),
    ("folded_by_sha256", "VARCHAR", "The SHA-256 of the delivery whose loading removed them."),
    ("folded_by_file_name", "VARCHAR", "The file name of the delivery whose loading removed them."),
)

INGEST_TABLES = (DELIVERIES, QUARANTINED_ROWS, QUARANTINE_REASONS, DELIVERY_EVENTS, VALIDATION_RESULTS,
                 SNAPSHOT_FOLDS)
MODEL_TABLES = ("orphan_references", "consistency_checks")  # built by dbt (dbt_project/models/dq)
ALERTS_TABLE = "alerts"  # written by pipelines.alerts.history


# The files a run has taken for good, as (file_name, sha256, status): every file recorded,
# except a delivery the GX gate refused. That is a defect of our validator, not of the
# file, so the file is taken again by each run until the validator is fixed.
SEEN_FILES_SQL = f"""
    SELECT d.file_name, d.sha256, d.status FROM {SCHEMA}.deliveries d
    WHERE NOT (d.status = '{DeliveryStatus.REJECTED}' AND EXISTS (
        SELECT 1 FROM {SCHEMA}.delivery_events e
        WHERE e.sha256 = d.sha256 AND e.file_name = d.file_name AND e.event = '{EventKind.GATE_FAILED}'))
"""


def ddl() -> str:
    return "\n".join([f"CREATE SCHEMA IF NOT EXISTS {SCHEMA};"] + [t.ddl() for t in INGEST_TABLES])


# dbt's view of these tables, generated (``checkpoint-warehouse expectations``) and tested equal.
DBT_SOURCE = STAGING_DIR / "_dq__sources.yml"


def dbt_source_text() -> str:
    source = {"name": SCHEMA, "schema": SCHEMA,
              "description": "Data-quality tables written by ingest, declared in pipelines/dq.py.",
              "tables": [{"name": t.name, "description": t.description,
                          "columns": [{"name": name, "description": text} for name, _, text in t.columns]}
                         for t in INGEST_TABLES]}
    return ("# Generated from pipelines/dq.py by `checkpoint-warehouse expectations`; do not edit.\n"
            + yaml.safe_dump({"version": 2, "sources": [source]}, sort_keys=False, allow_unicode=True, width=100))


def write_dbt_source() -> str:
    DBT_SOURCE.write_text(dbt_source_text(), encoding="utf-8")
    return DBT_SOURCE.relative_to(REPO_ROOT).as_posix()
