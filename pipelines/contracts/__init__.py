"""The source contracts as data.

Each ``<source>.yaml`` beside this file declares one extract: file name pattern, encoding,
tables, columns (type, code list, pattern, bounds, nullability, PII handling), key and the
rules between columns. Code lists may point at a dbt seed so that reference data is written
once (``dbt_project/seeds``) and shared by validation, models and the publication.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass, field

import yaml

from pipelines.paths import CONTRACTS_DIR, SEEDS_DIR

SOURCES = ("rms", "custody", "programme")  # also the order deliveries are taken in
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
    cadence: str = "monthly"
    extra: dict = field(default_factory=dict)

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)


def seed_values(seed: str, column: str) -> tuple[str, ...]:
    """One column of a dbt seed: the single declaration of a reference code list."""
    with open(SEEDS_DIR / f"{seed}.csv", newline="", encoding="utf-8") as handle:
        return tuple(row[column] for row in csv.DictReader(handle))


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
    spec = yaml.safe_load((CONTRACTS_DIR / "screens.yaml").read_text(encoding="utf-8"))
    screens = {}
    for name, body in spec["screens"].items():
        unknown = set(body) - {"description", "pattern", "known_values"}
        if unknown or ("pattern" in body) == ("known_values" in body) or body.get("known_values", "pii") != "pii":
            raise ValueError(f"screens.yaml: screen '{name}' needs a description and exactly one of "
                             f"pattern or known_values: pii (unknown keys: {sorted(unknown)})")
        screens[name] = Screen(name, body["description"], body.get("pattern"), body.get("known_values"))
    return screens


def _screens(spec: dict) -> tuple[str, ...]:
    names = tuple(spec.get("screen", ()))
    unknown = [n for n in names if n not in load_screens()]
    if unknown:
        raise ValueError(f"column '{spec['name']}': unknown screen(s) {unknown}; screens.yaml declares "
                         f"{sorted(load_screens())}")
    return names


def _column(spec: dict) -> Column:
    codes = spec.get("codes")
    if isinstance(codes, dict):
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


def _table(name: str, spec: dict) -> Table:
    return Table(
        name=name,
        raw_table=spec["raw_table"],
        description=spec.get("description", ""),
        key=tuple(spec["key"]),
        columns=tuple(_column(c) for c in spec["columns"]),
        rules=tuple(Rule(r["name"], r["sql"]) for r in spec.get("rules", ())),
        sheet=spec.get("sheet"),
        month_column=spec.get("month_column"),
        earlier_delivery_key_rule=spec.get("earlier_delivery_key_rule", ""),
        references=spec.get("references"),
        derived=tuple(spec.get("derived", ())),
    )


@functools.cache
def load_contract(source: str) -> SourceContract:
    spec = yaml.safe_load((CONTRACTS_DIR / f"{source}.yaml").read_text(encoding="utf-8"))
    known = {"source", "description", "file_regex", "format", "encoding", "cadence", "tables"}
    return SourceContract(
        source=spec["source"],
        description=spec.get("description", ""),
        file_regex=spec["file_regex"],
        format=spec["format"],
        encoding=spec.get("encoding"),
        cadence=spec.get("cadence", "monthly"),
        tables=tuple(_table(n, t) for n, t in spec["tables"].items()),
        extra={k: v for k, v in spec.items() if k not in known},
    )


def all_contracts() -> list[SourceContract]:
    return [load_contract(s) for s in SOURCES]
