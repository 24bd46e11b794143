"""Screening of loaded free text for personal data that arrived in the wrong column (issue 9).

A surname, a person id or a date of birth pasted into a free-text or reference column would
otherwise load into the analyst warehouse. Columns opt in with ``screen:`` in their contract;
the screens are declared once in ``contracts/screens.yaml``:

- pattern screens become SQL conditions beside the validator's other column checks;
- the ``known_values: pii`` screen compares each value (trimmed, case-folded) with every value
  of a personal (``pii``) column read from an RMS delivery so far, as keyed digests kept in
  the restricted store, so a name that has no telling shape is still caught.

A screened row is quarantined; the reason names the column and the screen, never the value.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import duckdb
import pandas as pd

from pipelines.contracts import Column, Screen, Table, load_screens
from pipelines.dq import Reason, ReasonKind
from pipelines.ingest.digests import keyed_digests
from pipelines.ingest.readers import RawSheet

PERSONAL_VALUES_DDL = "CREATE TABLE IF NOT EXISTS personal_values (digest VARCHAR NOT NULL)"


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def screen_reason(column: Column, screen: Screen) -> Reason:
    return Reason(ReasonKind.PERSONAL_DATA,
                  f"{column.name}: value looks like {screen.description} (screen {screen.name}); withheld",
                  column_name=column.name, rule_name=screen.name)


def screen_checks(column: Column, raw: str) -> list[tuple[str, Reason]]:
    """(failure condition, reason) for each pattern screen of the column, over its normalised text."""
    screens = [load_screens()[name] for name in column.screens]
    return [(f"regexp_matches({raw}, {_lit(s.pattern)})", screen_reason(column, s)) for s in screens if s.pattern]


def personal_key(secret: bytes) -> bytes:
    """The key of the personal-value digests, distinct from the pseudonym and row-digest keys."""
    return hmac.new(secret, b"checkpoint personal value", hashlib.sha256).digest()


def personal_text(value: str) -> str:
    """How personal values compare: surrounding and repeated spaces ignored, case folded."""
    return " ".join(value.split()).casefold()


def _digest_of(key: bytes, values: set[str]) -> dict[str, str]:
    """Each distinct value's digest of its personal text, each distinct text hashed once
    (names, dates of birth and references repeat across a national month)."""
    text_of = {value: personal_text(value) for value in values}
    distinct = list(set(text_of.values()))
    digest_of = dict(zip(distinct, keyed_digests(key, distinct)))
    return {value: digest_of[text] for value, text in text_of.items()}


def _column_values(sheet: RawSheet, column: Column) -> tuple[list[int], tuple[str, ...]]:
    """(row numbers, values) of a column over the sheet's well-formed rows.

    Rows with too many or too few fields are left out: their fields may be shifted, and a
    code shifted into a personal column must not become a "personal value".
    """
    row_numbers, texts = sheet.well_formed
    return row_numbers, texts[sheet.header.index(column.name)]


def _distinct_values(sheet: RawSheet, column: Column) -> set[str]:
    """The column's distinct values that hold something other than spaces."""
    return {value for value in set(_column_values(sheet, column)[1]) if value and not value.isspace()}


def personal_digests(sheet: RawSheet, table: Table, key: bytes) -> set[str]:
    """The digests of the sheet's personal (``pii``) values."""
    values = set().union(*(_distinct_values(sheet, c) for c in table.columns if c.pii))
    return set(_digest_of(key, values).values())


def remember_digests(restricted: duckdb.DuckDBPyConnection, digests: set[str]) -> None:
    """Add personal-value digests to the restricted store."""
    if not digests:
        return
    restricted.execute(PERSONAL_VALUES_DDL)
    restricted.register("new_personal_values", pd.DataFrame({"digest": list(digests)}))
    try:
        # An anti join, not NOT IN: NOT IN built a hash table of every digest stored (ten
        # national years: 3.3 million, 0.18 to 0.27 s a delivery against 0.08 s).
        restricted.execute("""
            INSERT INTO personal_values
            SELECT digest FROM new_personal_values ANTI JOIN personal_values USING (digest)
        """)
    finally:
        restricted.unregister("new_personal_values")


@dataclass
class ScreenCandidates:
    """A sheet's values in its known-value-screened columns, digested: what the restricted
    store is asked about (plain data, made where the sheet is read)."""
    table: Table
    digest_by_column: dict[str, dict[str, str]]  # column -> value -> digest
    row_numbers: list[int]  # of the well-formed rows
    values_by_column: dict[str, tuple[str, ...]]


def screen_candidates(sheet: RawSheet, table: Table, key: bytes) -> ScreenCandidates:
    """Each distinct value of the known-value-screened columns digested once."""
    screened = [c.name for c in table.columns if any(load_screens()[n].known_values for n in c.screens)]
    return ScreenCandidates(
        table,
        {name: _digest_of(key, _distinct_values(sheet, table.column(name))) for name in screened},
        sheet.well_formed[0] if screened else [],
        {name: _column_values(sheet, table.column(name))[1] for name in screened})


def flags_of(restricted: duckdb.DuckDBPyConnection, candidates: ScreenCandidates) -> dict[int, list[Reason]]:
    """Row number -> reasons, for the candidates' values seen as personal values: each
    distinct value looked up once; only the rows holding a value found are then visited."""
    digests = list(set().union(*(d.values() for d in candidates.digest_by_column.values())))
    if not digests:
        return {}
    restricted.execute(PERSONAL_VALUES_DDL)
    restricted.register("screened_digests", pd.DataFrame({"digest": digests}))
    try:
        known = {digest for (digest,) in restricted.execute(
            "SELECT digest FROM screened_digests WHERE digest IN (SELECT digest FROM personal_values)").fetchall()}
    finally:
        restricted.unregister("screened_digests")
    table = candidates.table
    hits = []
    for name, digest_of in candidates.digest_by_column.items():
        found = {value for value, digest in digest_of.items() if digest in known}
        if found:
            values = candidates.values_by_column[name]
            hits += [(n, name) for n, value in zip(candidates.row_numbers, values) if value in found]
    screens = load_screens()
    flags: dict[int, list[Reason]] = {}
    for row_number, name in sorted(hits):
        column = table.column(name)
        screen = next(screens[n] for n in column.screens if screens[n].known_values)
        flags.setdefault(row_number, []).append(screen_reason(column, screen))
    return flags
