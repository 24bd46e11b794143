"""The source contracts as data.

Each ``<source>.yaml`` beside this file declares one extract: file name pattern, encoding,
tables, columns (type, code list, pattern, bounds, nullability, PII handling), key and the
rules between columns. Code lists may point at a dbt seed so that reference data is written
once (``dbt_project/seeds``) and shared by validation, models and the publication.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipelines.paths import CONTRACTS_DIR, SEEDS_DIR


class ContractError(ValueError):
    """A contract file that does not follow the schema (an unknown or missing key, a bad value)."""


# The contract files' schema: the keys each level may hold (required ones first in each
# pair). A key not listed is an error, so a typo cannot silently switch a rule off.
SCHEMA = {
    "contract": ({"source", "file_regex", "format", "tables"}, {"description", "encoding"}),
    "table": ({"raw_table", "key", "columns"},
              {"description", "rules", "sheet", "month_column", "earlier_delivery_key_rule",
               "references", "derived"}),
    "column": ({"name", "type"},
               {"description", "nullable", "pattern", "codes", "min", "max", "formats", "pii", "case", "screen"}),
    "codes": ({"seed", "column"}, set()),
    "rule": ({"name", "sql"}, set()),
    "references": ({"table", "columns"}, set()),
    "derived": ({"name", "type", "from", "function"}, set()),
    "screens": ({"screens"}, set()),
    "screen": ({"description"}, {"pattern", "known_values"}),
}
VALUES = {
    "format": {"csv", "xlsx"},
    "type": {"text", "integer", "decimal", "date", "datetime", "flag"},
    "pii": {"pseudonymise", "drop"},
    "case": {"upper"},
    "known_values": {"pii"},
    "earlier_delivery_key_rule": {"immutable_version", "owned_by_month", "snapshot", "correction"},
}

SOURCES = ("rms", "custody", "programme")  # also the order deliveries are taken in
SCREENS_FILE = "screens.yaml"  # the identifier screens columns opt into; every other file is a source
PSEUDONYM_COLUMN = "person_pseudonym"  # what a `pii: pseudonymise` column becomes


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # text | integer | decimal | date | datetime | flag
    description: str = ""
    nullable: bool = False
    pattern: str | None = None
    codes: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    formats: tuple[str, ...] = ()
    pii: str | None = None  # None | "pseudonymise" | "drop"
    upper: bool = False  # normalised to upper case before rules apply
    screens: tuple[str, ...] = ()  # identifier screens (screens.yaml) its values must pass

    @property
    def warehouse_name(self) -> str | None:
        """The column's name in the warehouse: its own, the pseudonym's, or None (dropped)."""
        if self.pii == "pseudonymise":
            return PSEUDONYM_COLUMN
        return None if self.pii else self.name


@dataclass(frozen=True)
class Rule:
    name: str
    sql: str  # a boolean SQL expression over the typed row, aliased ``t``


@dataclass(frozen=True)
class Table:
    name: str
    raw_table: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    rules: tuple[Rule, ...] = ()
    sheet: str | None = None
    month_column: str | None = None
    earlier_delivery_key_rule: str = ""
    references: dict | None = None
    derived: tuple[dict, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class SourceContract:
    source: str
    description: str
    file_regex: str
    format: str  # csv | xlsx
    tables: tuple[Table, ...]
    encoding: str | None = None

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)


def seed_values(seed: str, column: str) -> tuple[str, ...]:
    """One column of a dbt seed: the single declaration of a reference code list."""
    with open(SEEDS_DIR / f"{seed}.csv", newline="", encoding="utf-8") as handle:
        return tuple(row[column] for row in csv.DictReader(handle))


def check_keys(spec, level: str, where: str) -> None:
    """Refuse a mapping with a key the schema does not know, or without a required one."""
    if not isinstance(spec, dict):
        raise ContractError(f"{where}: expected a mapping, found {type(spec).__name__}")
    required, optional = SCHEMA[level]
    unknown = sorted(set(spec) - required - optional)
    if unknown:
        raise ContractError(f"{where}: unknown key(s) {', '.join(unknown)} "
                            f"(allowed: {', '.join(sorted(required | optional))})")
    missing = sorted(required - set(spec))
    if missing:
        raise ContractError(f"{where}: missing key(s) {', '.join(missing)}")
    for key, allowed in VALUES.items():
        if key in spec and spec[key] not in allowed:
            raise ContractError(f"{where}: {key} {spec[key]!r} is not one of {', '.join(sorted(allowed))}")


@dataclass(frozen=True)
class Screen:
    """A shape of personal data looked for in a column the contract cannot pin down."""

    name: str
    description: str
    pattern: str | None = None  # RE2, searched in the trimmed value
    known_values: str | None = None  # "pii": compared with the values of the RMS `pii` columns


@functools.cache
def load_screens() -> dict[str, Screen]:
    """The identifier screens of ``screens.yaml``, by name; each has a pattern or known values."""
    return read_screens_file(CONTRACTS_DIR / SCREENS_FILE)


def read_screens_file(path: Path) -> dict[str, Screen]:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    check_keys(spec, "screens", "screens.yaml")
    screens = {}
    for name, body in spec["screens"].items():
        check_keys(body, "screen", f"screens.yaml: screen {name}")
        if ("pattern" in body) == ("known_values" in body):
            raise ContractError(f"screens.yaml: screen {name} needs exactly one of pattern or known_values")
        screens[name] = Screen(name, body["description"], body.get("pattern"), body.get("known_values"))
    return screens


def _screens(spec: dict) -> tuple[str, ...]:
    names = tuple(spec.get("screen", ()))
    unknown = [n for n in names if n not in load_screens()]
    if unknown:
        raise ContractError(f"column {spec['name']}: unknown screen(s) {', '.join(unknown)}; screens.yaml declares "
                            f"{', '.join(sorted(load_screens()))}")
    return names


def _column(spec: dict, where: str = "column") -> Column:
    check_keys(spec, "column", f"{where} {spec.get('name', '?') if isinstance(spec, dict) else '?'}")
    codes = spec.get("codes")
    if isinstance(codes, dict):
        check_keys(codes, "codes", f"{where} {spec['name']}: codes")
        codes = seed_values(codes["seed"], codes["column"])
    upper = bool(codes) or bool(spec.get("pattern")) or spec.get("case") == "upper"
    return Column(
        name=spec["name"],
        type=spec["type"],
        description=spec.get("description", ""),
        nullable=bool(spec.get("nullable", False)),
        pattern=spec.get("pattern"),
        codes=tuple(str(c) for c in codes) if codes else None,
        minimum=spec.get("min"),
        maximum=spec.get("max"),
        formats=tuple(spec.get("formats", ())),
        pii=spec.get("pii"),
        upper=upper or spec["type"] == "flag",
        screens=_screens(spec),
    )


def _table(name: str, spec: dict, where: str = "table") -> Table:
    where = f"{where} {name}"
    check_keys(spec, "table", where)
    for rule in spec.get("rules", ()):
        check_keys(rule, "rule", f"{where}: rule")
    for derived in spec.get("derived", ()):
        check_keys(derived, "derived", f"{where}: derived")
    if "references" in spec:
        check_keys(spec["references"], "references", f"{where}: references")
    return Table(
        name=name,
        raw_table=spec["raw_table"],
        description=spec.get("description", ""),
        key=tuple(spec["key"]),
        columns=tuple(_column(c, f"{where}: column") for c in spec["columns"]),
        rules=tuple(Rule(r["name"], r["sql"]) for r in spec.get("rules", ())),
        sheet=spec.get("sheet"),
        month_column=spec.get("month_column"),
        earlier_delivery_key_rule=spec.get("earlier_delivery_key_rule", ""),
        references=spec.get("references"),
        derived=tuple(spec.get("derived", ())),
    )


def parse_contract(spec, where: str) -> SourceContract:
    """A contract from its parsed YAML, checked against ``SCHEMA``; ``where`` names it in errors."""
    check_keys(spec, "contract", where)
    return SourceContract(
        source=spec["source"],
        description=spec.get("description", ""),
        file_regex=spec["file_regex"],
        format=spec["format"],
        encoding=spec.get("encoding"),
        tables=tuple(_table(n, t, f"{where}: table") for n, t in spec["tables"].items()),
    )


def read_contract_file(path) -> SourceContract:
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ContractError(f"{path.name}: not valid YAML ({error})".splitlines()[0]) from None
    return parse_contract(spec, path.name)


@functools.cache
def load_contract(source: str) -> SourceContract:
    return read_contract_file(CONTRACTS_DIR / f"{source}.yaml")


def all_contracts() -> list[SourceContract]:
    return [load_contract(s) for s in SOURCES]


def raw_tables() -> dict[str, Table]:
    """Every contract table by the name of its table in schema ``raw``."""
    return {t.raw_table: t for c in all_contracts() for t in c.tables}
