"""The pipeline's tables in the build database: ``raw`` (loaded rows) and ``dq`` (history).

Raw tables are declared by the contracts: the loaded (non-personal) columns in contract
order, the pseudonym in place of the person identifier, derived columns, then lineage.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines import dq
from pipelines.contracts import Table, all_contracts
from pipelines.settings import connect

SQL_TYPES = {"text": "VARCHAR", "flag": "VARCHAR", "integer": "INTEGER", "decimal": "DOUBLE",
             "date": "DATE", "datetime": "TIMESTAMP"}

LINEAGE_COLUMNS = [
    ("delivery_sha256", "VARCHAR"), ("source_month", "VARCHAR"), ("delivery_version", "INTEGER"),
    ("file_name", "VARCHAR"), ("row_number", "INTEGER"), ("row_digest", "VARCHAR"),
]
LINEAGE_DESCRIPTION = "Lineage: the delivery and row this row was loaded from (docs/architecture.md)."

# The restricted store's table of quarantined raw text: (name, SQL type), declared once.
RESTRICTED_TABLE = [("sha256", "VARCHAR"), ("file_name", "VARCHAR"), ("table_name", "VARCHAR"),
                    ("row_number", "INTEGER"), ("reason", "VARCHAR"), ("raw_text", "VARCHAR")]
RESTRICTED_COLUMNS = [name for name, _ in RESTRICTED_TABLE]
RESTRICTED_DDL = ("CREATE TABLE IF NOT EXISTS quarantined_raw ("
                  + ", ".join(f"{name} {sql_type}" for name, sql_type in RESTRICTED_TABLE) + ");")


def described_raw_columns(table: Table) -> list[tuple[str, str, str]]:
    """(name, SQL type, description) of a raw table's columns, from the contract."""
    columns = []
    for column in (c for c in table.columns if c.warehouse_name):
        if column.pii:
            columns.append((column.warehouse_name, "VARCHAR", f"Keyed pseudonym of {column.name}: {column.description}"))
        else:
            columns.append((column.name, SQL_TYPES[column.type], column.description))
    columns += [(d["name"], SQL_TYPES[d["type"]], f"Derived at ingest: {d['function']}({', '.join(d['from'])}).")
                for d in table.derived]
    return columns + [(name, sql_type, LINEAGE_DESCRIPTION) for name, sql_type in LINEAGE_COLUMNS]


def raw_columns(table: Table) -> list[tuple[str, str]]:
    return [(name, sql_type) for name, sql_type, _ in described_raw_columns(table)]


def raw_ddl(table: Table) -> str:
    body = ", ".join(f"{name} {sql_type}" for name, sql_type in raw_columns(table))
    return f"CREATE TABLE IF NOT EXISTS raw.{table.raw_table} ({body});"


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for contract in all_contracts():
        for table in contract.tables:
            con.execute(raw_ddl(table))
    con.execute(dq.ddl())


def open_restricted(path: Path) -> duckdb.DuckDBPyConnection:
    """The store for quarantined raw text, which may hold personal data: owner-only access."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    con = connect(path)
    con.execute(RESTRICTED_DDL)
    return con


def key_text_sql(table: Table) -> str:
    """The key as text, built exactly as the validator builds it from typed values."""
    return " || chr(31) || ".join(f"COALESCE(CAST({k} AS VARCHAR), chr(0))" for k in table.key)
