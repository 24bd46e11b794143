"""Incidents about deliveries, read from the data-quality tables ingest writes (``pipelines.dq``).

- ``dq.deliveries``: rejected deliveries (error), ignored files; the counts of every delivery named.
- ``dq.quarantine_reasons``: rows quarantined, one incident per delivery with counts by reason.
- ``dq.delivery_events``: schema drift, header-only, keys missing from a snapshot and any
  event this module does not know yet (reported with the event's name and severity rather
  than dropped).

Quarantine reasons are counted from what failed, kept as data (the reason's kind and its
column or rule), never from a message: the label is the column, ``rule: <name>``, or a
sentence written here for the kinds that name neither (a key clash, a row with the wrong
number of fields). In a workbook the label starts with its sheet's table (``sessions:
hours``). A row with several reasons counts under each of them, so the reason counts can
add up to more than the rows quarantined. The values behind a reason are never alerted:
data admins read the rows in the restricted quarantine store.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import duckdb

from pipelines.alerts._db import sha_filter, table_exists
from pipelines.alerts.incident import (
    Incident, delivery_file_name, next_version_name, plural, scrub,
)
from pipelines.contracts import SOURCES, load_contract
from pipelines.dq import COLUMN_REASONS, DeliveryStatus, EventKind, ReasonKind

QUARANTINE_STORE = "restricted/quarantine.duckdb under the warehouse home"
# Events covered by their own tables (a gate failure is a rejected delivery, worded apart).
HANDLED_ELSEWHERE = (EventKind.QUARANTINED, EventKind.REJECTED, EventKind.GATE_FAILED)
# The wording of the reasons that name no single column or rule; {columns} is the key.
REASON_WORDING = {
    ReasonKind.KEY_IN_DELIVERY: "key ({columns}) is in another row of this delivery with different values",
    ReasonKind.KEY_CHANGED: "key ({columns}) already loaded from an earlier delivery with different values",
    ReasonKind.KEY_OTHER_MONTH: "key ({columns}) already loaded from another month's delivery",
    ReasonKind.FIELD_COUNT: "row has N fields; the header has N",
    ReasonKind.PERSONAL_DATA: "{columns}: looks like personal data (withheld)",
}


@dataclass(frozen=True)
class _Delivery:
    sha256: str | None
    file_name: str
    source: str | None
    month: str | None
    version: int | None
    status: str
    rows_read: int | None
    rows_loaded: int | None
    rows_quarantined: int | None
    rows_duplicate: int | None
    reason: str | None
    highest_version: int | None
    month_in_force: bool

    @property
    def order(self) -> tuple:
        source = SOURCES.index(self.source) if self.source in SOURCES else len(SOURCES)
        return (source, self.month or "", self.version or 0, self.file_name)

    @property
    def label(self) -> str:
        if not self.source:
            return self.file_name
        return f"{self.source} delivery for {self.month} (version {self.version})"

    @property
    def next_name(self) -> str:
        return next_version_name(self.file_name, self.highest_version)

    def row_counts(self) -> dict[str, int]:
        counts = {"rows_read": self.rows_read, "rows_loaded": self.rows_loaded,
                  "rows_quarantined": self.rows_quarantined, "rows_duplicate": self.rows_duplicate}
        return {k: int(v) for k, v in counts.items() if v is not None}

    def row_summary(self) -> str:
        if self.rows_read is None:
            return ""
        return (f"{plural(self.rows_read, 'row')} read: {self.rows_loaded or 0:,} loaded, "
                f"{self.rows_quarantined or 0:,} quarantined, {self.rows_duplicate or 0:,} duplicate.")


def _deliveries(con: duckdb.DuckDBPyConnection) -> dict[tuple, _Delivery]:
    """Every row of ``dq.deliveries`` by (sha256, file_name), with the highest version seen
    for its (source, month) and whether an accepted version of that month is in force. A
    file recorded more than once (the GX gate refused it, a later run took it) is its latest row."""
    rows = con.execute("""
        SELECT sha256, file_name, source, month, version, status, rows_read, rows_loaded,
               rows_quarantined, rows_duplicate, reason,
               max(version) OVER (PARTITION BY source, month),
               coalesce(bool_or(status = 'accepted') OVER (PARTITION BY source, month), FALSE)
        FROM dq.deliveries
        ORDER BY seen_order
    """).fetchall()
    return {(r[0], r[1]): _Delivery(*r) for r in rows}


def _unknown_delivery(sha256: str | None, file_name: str, source=None, month=None, version=None) -> _Delivery:
    return _Delivery(sha256, file_name, source, month, version, "unknown", None, None, None, None,
                     None, version, False)


def collect_delivery_incidents(
    con: duckdb.DuckDBPyConnection, sha256s: list[str] | None
) -> list[Incident]:
    """Incidents of the deliveries whose digest is in ``sha256s`` (those first seen in this
    run), or of every delivery ever seen for None. Missing tables give no incidents."""
    if not table_exists(con, "dq", "deliveries"):
        return []
    deliveries = _deliveries(con)
    wanted = None if sha256s is None else set(sha256s)
    incidents: list[tuple[tuple, Incident]] = []

    for d in deliveries.values():
        if d.status == DeliveryStatus.REJECTED and (wanted is None or d.sha256 in wanted):
            incidents.append((d.order, _rejected(con, d)))
        if d.status == DeliveryStatus.IGNORED and (wanted is None or d.sha256 in wanted):
            incidents.append((d.order, _ignored(d)))

    for d, reasons, rows in _quarantine_reasons(con, deliveries, sha256s):
        incidents.append((d.order, _quarantine(d, reasons, rows)))

    if table_exists(con, "dq", "delivery_events"):
        where, params = sha_filter(sha256s)
        rows = con.execute(f"""
            SELECT sha256, file_name, source, month, version, event, bool_or(severity = 'error'),
                   sum(event_count), list_sort(list_distinct(flatten(list(column_names)))), count(*)
            FROM dq.delivery_events
            WHERE {where} AND event NOT IN ({", ".join("?" for _ in HANDLED_ELSEWHERE)})
            GROUP BY ALL
        """, params + list(HANDLED_ELSEWHERE)).fetchall()
        for sha256, file_name, source, month, version, event, is_error, count, columns, n in rows:
            d = deliveries.get((sha256, file_name)) or _unknown_delivery(sha256, file_name, source, month, version)
            incidents.append((d.order, _event(d, event, bool(is_error), count, columns or [], n)))

    incidents.sort(key=lambda pair: (pair[0], pair[1].key))
    seen, out = set(), []
    for _, incident in incidents:
        if incident.key not in seen:
            seen.add(incident.key)
            out.append(incident)
    return out


def _rejected(con, d: _Delivery) -> Incident:
    reason, gate_failed = d.reason, False
    if table_exists(con, "dq", "delivery_events"):
        found = con.execute(
            "SELECT event, detail FROM dq.delivery_events WHERE event IN (?, ?) "
            "AND sha256 IS NOT DISTINCT FROM ? AND file_name = ? ORDER BY event LIMIT 1",
            [EventKind.GATE_FAILED, EventKind.REJECTED, d.sha256, d.file_name]).fetchone()
        gate_failed = bool(found) and found[0] == EventKind.GATE_FAILED
        reason = reason or (found[1] if found else None)
    why = scrub(reason) or "no reason recorded"
    if gate_failed:
        title = f"Delivery rejected by the GX gate: {d.file_name}"
        why = (f"Great Expectations refused rows the pipeline's own validator had passed ({why}). "
               "That is a defect in the validator, not in the file")
        action = ("Developers: compare the failed expectations in dq.validation_results with the validator "
                  "(pipelines/ingest/validate.py) and fix it. Each run takes the file again until it loads; "
                  "the supplier need do nothing.")
    else:
        title = f"Delivery rejected: {d.file_name}"
        action = (f"Ask the {d.source} supplier to correct the file and deliver it again as "
                  f"{d.next_name}; the next run takes it.")
    if d.month_in_force:
        in_force = f"The accepted version of {d.source} {d.month} already loaded stays in force."
    else:
        in_force = f"{d.source} has no accepted delivery for {d.month} until a corrected one arrives."
    return Incident(
        key=f"rejected:{d.sha256}:{d.file_name}",
        severity="error",
        kind="rejected",
        title=title,
        detail=f"The {d.label} was rejected whole and nothing of it was loaded: {why}. {in_force}",
        action=action,
        delivery=d.file_name,
        counts={},
    )


def _ignored(d: _Delivery) -> Incident:
    examples = ", ".join(delivery_file_name(s) for s in SOURCES)
    return Incident(
        key=f"ignored:{d.file_name}",
        severity="warning",
        kind="ignored",
        title=f"Not a delivery, ignored: {d.file_name}",
        detail="The file's name matches no source's delivery pattern, so it was not loaded. "
               "It is reported once, whatever it later holds.",
        action=f"Remove it from the landing folder. If it was meant as a delivery, deliver it again "
               f"under the contract's name ({examples}; `_v2`, `_v3`… for a correction). "
               "Lock (`~$…`) or `.tmp` files left by a copy still in progress need no action once gone.",
        delivery=d.file_name,
        counts={},
    )


def reason_label(kind: str, column_name: str | None, rule_name: str | None) -> str:
    """The label a quarantine reason counts under, from what failed (see the module's docstring)."""
    if kind == ReasonKind.RULE:
        return f"rule: {rule_name}"
    if kind in COLUMN_REASONS:
        return str(column_name)
    if kind in REASON_WORDING:
        return REASON_WORDING[kind].format(columns=column_name)
    return str(kind).replace("_", " ")  # a kind this module does not know: its name, never a message


def _quarantine_reasons(con, deliveries: dict[tuple, _Delivery], sha256s) -> list[tuple[_Delivery, Counter, int]]:
    """(delivery, counts by reason label, rows in dq.quarantined_rows) per delivery with
    quarantined rows."""
    per_delivery: dict[tuple, Counter] = defaultdict(Counter)
    rows_listed: Counter = Counter()
    if table_exists(con, "dq", "quarantined_rows"):
        where, params = sha_filter(sha256s)
        rows = con.execute(f"""
            SELECT sha256, file_name, source, month, version, count(*)
            FROM dq.quarantined_rows WHERE {where} GROUP BY ALL
        """, params).fetchall()
        for sha256, file_name, source, month, version, n in rows:
            ident = (sha256, file_name)
            if ident not in deliveries:
                deliveries[ident] = _unknown_delivery(sha256, file_name, source, month, version)
            rows_listed[ident] += n
    if table_exists(con, "dq", "quarantine_reasons"):
        where, params = sha_filter(sha256s, "r.sha256")
        rows = con.execute(f"""
            SELECT r.sha256, r.file_name, d.source, r.table_name, r.kind, r.column_name, r.rule_name,
                   count(DISTINCT r.row_number)
            FROM dq.quarantine_reasons r
            LEFT JOIN (SELECT DISTINCT sha256, file_name, source FROM dq.deliveries) d USING (sha256, file_name)
            WHERE {where} GROUP BY ALL
        """, params).fetchall()
        for sha256, file_name, source, table_name, kind, column_name, rule_name, n in rows:
            ident = (sha256, file_name)
            label = reason_label(kind, column_name, rule_name)
            multi_table = source in SOURCES and len(load_contract(source).tables) > 1
            per_delivery[ident][f"{table_name}: {label}" if multi_table and table_name else label] += n
    wanted = None if sha256s is None else set(sha256s)
    for ident, d in deliveries.items():
        if (d.rows_quarantined or 0) > 0 and (wanted is None or d.sha256 in wanted):
            per_delivery.setdefault(ident, Counter())
    return [(deliveries[ident], reasons, rows_listed[ident]) for ident, reasons in per_delivery.items()]


def _quarantine(d: _Delivery, reasons: Counter, rows_listed: int) -> Incident:
    total = d.rows_quarantined if d.rows_quarantined is not None else rows_listed
    counts: dict[str, int] = {**d.row_counts(), "rows_quarantined": total}
    ranked = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    for label, n in ranked:
        counts[f"reason: {label}"] = n
    by_reason = "; ".join(f"{label} ({n:,})" for label, n in ranked)
    detail = f"{plural(total, 'row')} of the {d.label} quarantined. {d.row_summary()}".strip()
    if by_reason:
        detail += f" Reasons (a row may have several): {by_reason}."
    return Incident(
        key=f"quarantine:{d.sha256}:{d.file_name}",
        severity="warning",
        kind="quarantine",
        title=f"{plural(total, 'row')} quarantined in {d.file_name}",
        detail=detail,
        action=("The rest of the delivery is loaded; quarantined rows are held out of the figures. "
                f"A data admin reads the rows in the restricted quarantine store ({QUARANTINE_STORE}) "
                f"and asks the {d.source} supplier for a corrected re-delivery, {d.next_name}. "
                f"It replaces {d.month} as a whole, so it must hold every row of the month, "
                "not only the corrected ones."),
        delivery=d.file_name,
        counts=counts,
    )


def _event(d: _Delivery, event: str, is_error: bool, count: int | None, columns: list[str], n: int) -> Incident:
    base = dict(delivery=d.file_name, counts=d.row_counts())
    ident = f"{d.sha256}:{d.file_name}"
    if event == EventKind.SCHEMA_DRIFT:
        columns = scrub("unknown column(s) ignored: " + ", ".join(columns), limit=300) if columns else "unknown column(s)"
        return Incident(
            key=f"schema_drift:{ident}", severity="warning", kind="schema_drift",
            title=f"Schema drift in {d.file_name}",
            detail=f"The {d.label} was loaded, but its header does not match the contract: {columns}.",
            action=f"Ask the {d.source} supplier whether their extract changed. If the new column is "
                   f"to stay, decide whether the warehouse needs it and update the contract "
                   f"(pipelines/contracts/{d.source}.yaml); nothing else is needed for this delivery.",
            **base)
    if event == EventKind.HEADER_ONLY:
        return Incident(
            key=f"header_only:{ident}", severity="warning", kind="header_only",
            title=f"Header-only delivery: {d.file_name}",
            detail=f"The {d.label} has a header and no rows. It was accepted with none, so "
                   f"{d.source} shows no records for {d.month}.",
            action=f"Confirm with the {d.source} supplier that {d.month} really had no records. "
                   f"If it had, ask for a corrected re-delivery, {d.next_name}.",
            **base)
    if event == EventKind.CONTRACT_MISSING_FROM_SNAPSHOT:
        missing = int(count) if count is not None else n
        base["counts"] = {**base["counts"], "contracts_missing": missing}
        return Incident(
            key=f"contract_missing:{ident}", severity="warning", kind="contract_missing",
            title=f"{plural(missing, 'contract')} missing from the snapshot {d.file_name}",
            detail=f"{plural(missing, 'contract')} loaded from earlier workbooks "
                   f"{'is' if missing == 1 else 'are'} not in the {d.label}. "
                   "Each keeps its last loaded row.",
            action="Ask the programme provider whether the contracts were deleted from their case "
                   f"system in error; if so, a corrected workbook ({d.next_name}) restores them. "
                   "Data admins can list the contracts from raw.programme_contracts (contracts whose "
                   "latest row comes from an earlier workbook).",
            **base)
    # An event this module does not know: report its name, never its free text.
    return Incident(
        key=f"event:{event}:{ident}",
        severity="error" if is_error else "warning",
        kind="delivery_event",
        title=f"{event.replace('_', ' ').capitalize()} in {d.file_name}",
        detail=f"Ingest recorded {plural(n, 'event')} '{event}' for the {d.label}.",
        action=f"Read the event in dq.delivery_events (file {d.file_name}) and decide with the "
               f"{d.source or 'file'}'s supplier whether a corrected re-delivery is needed.",
        **base)
