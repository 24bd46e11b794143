"""Small helpers for reading the build database tolerantly: a table that is not built yet
gives no incidents, never an error."""

from __future__ import annotations

import duckdb


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether ``schema.table`` exists (a table or a view) in the current database."""
    return con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchone()[0] > 0


def sha_filter(sha256s: list[str] | None, column: str = "sha256") -> tuple[str, list]:
    """A WHERE condition limiting rows to the given deliveries (all of them for None)."""
    if sha256s is None:
        return "TRUE", []
    return f"list_contains(?::VARCHAR[], {column})", [list(sha256s)]
