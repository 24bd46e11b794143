"""What an alert is about: one ``Incident`` per problem, identified by a stable key.

The key is the incident's identity for "once": an incident whose key was alerted before is
never alerted again, so a key names the thing that went wrong, not the run that noticed it.

| kind | key | severity |
|---|---|---|
| rejected | ``rejected:<sha256>:<file_name>`` | error |
| run_failed | ``run_failed:<run_id>`` | error |
| freshness | ``freshness:<source>:<YYYY-MM>`` | error |
| consistency | ``consistency:<check_name>:<period>`` | the check's own (error unless warn) |
| quarantine | ``quarantine:<sha256>:<file_name>`` | warning |
| schema_drift | ``schema_drift:<sha256>:<file_name>`` | warning |
| header_only | ``header_only:<sha256>:<file_name>`` | warning |
| contract_missing | ``contract_missing:<sha256>:<file_name>`` | warning |
| ignored | ``ignored:<file_name>`` | warning |
| orphans | ``orphans:<source_table>:<YYYY-MM the wait began>`` | warning |
| awaiting_expungement | ``awaiting_expungement:<period>`` | warning |
| delivery_event | ``event:<event>:<sha256>:<file_name>`` (an event this module does not know) | the event's own |

A delivery is identified by (sha256, file name), as ingest identifies it: the same bytes under
another name are a duplicate (no incident), other bytes under a seen name are a new delivery
(a new incident). An ignored name is reported once whatever its bytes, as the contract says.

No incident carries personal data: titles, details and actions are written here from file
names, counts, column and rule names. Free text read from the warehouse (a rejection
reason, a schema-drift column list, a failed run's message) goes through ``scrub`` first,
which drops quoted values. Row-level text and keys (arrest, custody, contract references)
are never alerted: an alert says where data admins can look them up.
"""

from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass, field

from pipelines.contracts import all_contracts, load_contract

SEVERITIES = ("error", "warning")

# Digest order: errors first, then by kind in this order, then as collected (a stable sort:
# collectors list deliveries in the contract's order, source then month then version).
KIND_ORDER = (
    "run_failed", "rejected", "freshness", "consistency", "quarantine", "schema_drift",
    "header_only", "contract_missing", "ignored", "orphans", "awaiting_expungement",
    "delivery_event",
)

Counts = dict[str, int | float]


@dataclass(frozen=True)
class Incident:
    key: str
    severity: str  # 'error' | 'warning'
    kind: str
    title: str
    detail: str
    action: str  # what to do next
    delivery: str | None = None  # file name(s) relative to the landing folder
    counts: Counts = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")

    def to_record(self) -> dict:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict) -> Incident:
        return cls(**{name: record.get(name) for name in
                      ("key", "severity", "kind", "title", "detail", "action", "delivery")},
                   counts=dict(record.get("counts") or {}))


def sort_key(incident: Incident) -> tuple:
    kind = KIND_ORDER.index(incident.kind) if incident.kind in KIND_ORDER else len(KIND_ORDER)
    return (SEVERITIES.index(incident.severity), kind)


# A quoted literal: opening quote not inside a word (so "file's" is no quote), closing quote
# not followed by a letter (so 'O'Brien' is taken whole).
_QUOTED = re.compile(r"""(?<![\w])(['"]).*?\1(?![\w])""")


@functools.cache
def contract_names() -> frozenset[str]:
    """Names the contracts declare (sheets, tables, columns): safe to show when quoted."""
    words = set()
    for contract in all_contracts():
        for table in contract.tables:
            words.update({table.name, table.raw_table, *table.column_names})
            if table.sheet:
                words.add(table.sheet)
    return frozenset(words)


def _keep_quoted(match: re.Match) -> str:
    quoted = match.group(0)
    if "/" in quoted or quoted[1:-1] in contract_names():
        return quoted  # a path, or a sheet or column name of the contract
    return "'…'"


def scrub(text: str | None, limit: int = 400) -> str:
    """Free text made safe to alert: one line, quoted values replaced by ``'…'`` (quoted
    paths and the contracts' own sheet and column names are kept), at most ``limit``
    characters."""
    if not text:
        return ""
    one_line = " ".join(str(text).split())
    cleaned = _QUOTED.sub(_keep_quoted, one_line)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def plural(n: int | float, word: str, words: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


_VERSIONED = re.compile(r"^(?P<stem>.*?)(?:_v(?P<version>[0-9]+))?(?P<ext>\.[^./]+)$")


def next_version_name(file_name: str, highest_version: int | None) -> str:
    """The name a corrected re-delivery must take: ``custody/custody_202610.csv`` with
    version 1 the highest seen -> ``custody/custody_202610_v2.csv``."""
    match = _VERSIONED.match(file_name)
    if not match:
        return file_name
    version = max(highest_version or 1, int(match["version"] or 1)) + 1
    return f"{match['stem']}_v{version}{match['ext']}"


def delivery_file_name(source: str, month: str | None = None) -> str:
    """The contract's delivery name for ``source``, written for people: ``rms/arrests_YYYYMM.csv``,
    or with ``month`` ('YYYY-MM') filled in: ``rms/arrests_202610.csv``."""
    name = load_contract(source).file_regex
    name = re.sub(r"\(\?:_v\(\?P<version>[^)]*\)\)\?", "", name)
    name = re.sub(r"\(\?P<month>[^)]*\)", month.replace("-", "") if month else "YYYYMM", name)
    return name.removeprefix("^").removesuffix("$").replace("\\.", ".")


def run_failed_incident(run_id: str, message: str) -> Incident:
    """The alert for a run that could not complete. ``message`` is the one line the run
    writes to standard error; quoted values in it are scrubbed (an exception may quote a
    value it could not parse)."""
    return Incident(
        key=f"run_failed:{run_id}",
        severity="error",
        kind="run_failed",
        title=f"Run {run_id} failed",
        detail=f"The run did not complete: {scrub(message) or 'no message given'}",
        action=("Nothing of the failed step was published, and analysts still see the warehouse "
                "of the last completed run. Read the run's log for the failing step, fix the cause, "
                "then run `checkpoint-warehouse run` again: deliveries already taken are not "
                "taken twice."),
        counts={},
    )
