"""Ingest every new delivery of a landing folder into the build database.

Each delivery is read, validated (our contract-driven validator, then the GX gate) and
committed in one DuckDB transaction together with its reconciliation row, so a crash
leaves no trace of it and the next run simply takes it again. Its fate is decided once.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipelines import dq
from pipelines.contracts import SourceContract, Table, load_contract
from pipelines.dq import DeliveryStatus, EventKind, Severity
from pipelines.ingest import expectations
from pipelines.ingest.discovery import LandedFile, keep_digests, recall_digests, take_unseen, unseen_bytes
from pipelines.ingest.prepare import (
    PREPARE_AHEAD_FROM_BYTES,
    PREPARE_WORKERS,
    PreparedDelivery,
    cyclic_gc_paused,
    in_order,
)
from pipelines.ingest.readers import DeliveryRejected
from pipelines.ingest.screening import flags_of, remember_digests
from pipelines.ingest.store import RESTRICTED_COLUMNS, ensure_schema, key_text_sql, open_restricted, raw_columns
from pipelines.ingest.validate import SheetOutcome, sort_rows
from pipelines.settings import connect_writer, ingest_memory_limit


@dataclass(frozen=True)
class Event:
    kind: EventKind
    severity: Severity
    detail: str
    count: int | None = None
    column_names: tuple[str, ...] | None = None


@dataclass
class DeliveryResult:
    file_name: str
    sha256: str
    status: DeliveryStatus
    source: str | None = None
    month: str | None = None
    version: int | None = None
    rows_read: int | None = None
    rows_loaded: int | None = None
    rows_quarantined: int | None = None
    rows_duplicate: int | None = None
    reason: str | None = None
    events: list[Event] = field(default_factory=list)
    seen_order: int | None = None  # its dq.deliveries row, once recorded


@dataclass
class IngestReport:
    results: list[DeliveryResult] = field(default_factory=list)

    @property
    def rejected(self) -> list[DeliveryResult]:
        return [r for r in self.results if r.status == DeliveryStatus.REJECTED]


def digest_key(secret: bytes) -> bytes:
    """A key for row digests distinct from the pseudonym key (domain separation)."""
    return hmac.new(secret, b"checkpoint row digest", hashlib.sha256).digest()


def _crash_point(name: str) -> None:
    # Lets the crash-recovery test kill the process at a precise point of a load.
    if os.environ.get("CHECKPOINT_CRASH_POINT") == name:
        os._exit(70)


def earlier_digests(con, table: Table, month: str, keys: pd.Series) -> dict[str, str]:
    """Digest of the in-force row for each key loaded from another month's delivery.

    Only the history of the delivery's own keys is ranked: rows are first narrowed to those
    whose first key column matches (one hash semi-join), so the cost follows the delivery,
    not the years loaded before it.
    """
    if keys.empty:
        return {}
    first = table.key[0]
    con.register("delivery_keys", pd.DataFrame({"key_text": keys.astype(str)}))
    try:
        rows = con.execute(f"""
            WITH candidates AS (
                SELECT * FROM raw.{table.raw_table}
                WHERE CAST({first} AS VARCHAR) IN (SELECT split_part(key_text, chr(31), 1) FROM delivery_keys)
                   OR {first} IS NULL
            )
            SELECT key_text, row_digest FROM (
                SELECT {key_text_sql(table)} AS key_text, row_digest,
                       row_number() OVER (PARTITION BY {', '.join(table.key)}
                                          ORDER BY source_month DESC, delivery_version DESC) AS latest
                FROM candidates WHERE source_month <> ?
            ) WHERE latest = 1 AND key_text IN (SELECT key_text FROM delivery_keys)
        """, [month]).fetchall()
    finally:
        con.unregister("delivery_keys")
    return dict(rows)


def _sorted_sheets(con, restricted, landed: LandedFile, prepared: PreparedDelivery) -> list[SheetOutcome]:
    """What the deliveries before this one decide: its personal values are remembered first
    (a later sheet or delivery is screened against them), then each sheet's rows are sorted."""
    if prepared.rejection is not None:
        raise DeliveryRejected(prepared.rejection)
    remember_digests(restricted, prepared.personal_digests)
    outcomes = []
    for sheet in prepared.sheets:
        def history(keys, table=sheet.checked.table):
            return earlier_digests(con, table, landed.month, keys)

        outcomes.append(sort_rows(sheet.checked, history, flags_of(restricted, sheet.screen)))
    return outcomes


def _gate(landed: LandedFile, prepared: PreparedDelivery, outcomes: list[SheetOutcome]) -> list[tuple]:
    """dq.validation_results rows of the GX suites on the rows about to load: GX ran on every
    checked row as the delivery was prepared, and its findings are read on those rows."""
    rows = []
    for sheet, outcome in zip(prepared.sheets, outcomes, strict=True):
        if outcome.to_load.empty:
            continue
        results = expectations.results_on_rows(sheet.gate, outcome.to_load.index)
        rows += [(landed.sha256, landed.file_name, outcome.table.name, r.suite, r.expectation,
                  r.column_name, r.success, r.unexpected_count, r.element_count) for r in results]
    return rows


def gate_failure(validation_rows: list[tuple]) -> tuple[str, int] | None:
    """(one-line reason, expectations failed) when GX refused rows the validator passed."""
    failed = [r for r in validation_rows if not r[6]]
    if not failed:
        return None
    detail = ", ".join(f"{r[4]}({r[5]}): {r[7]}" for r in failed)
    return f"GX gate failed on rows the validator passed (a validator defect): {detail}", len(failed)


def _insert_rows(con, landed: LandedFile, outcome: SheetOutcome) -> None:
    """Insert the rows to load, prepared as the warehouse holds them (``prepare_sheet``), with
    their delivery's lineage."""
    lineage = {"delivery_sha256": landed.sha256, "source_month": landed.month,
               "delivery_version": landed.version, "file_name": landed.file_name}
    select = ", ".join(f"CAST(${name} AS {sql_type}) AS {name}" if name in lineage else
                       f"CAST({name} AS {sql_type}) AS {name}" for name, sql_type in raw_columns(outcome.table))
    con.register("to_insert", outcome.to_load)
    try:
        con.execute(f"INSERT INTO raw.{outcome.table.raw_table} BY NAME SELECT {select} FROM to_insert", lineage)
    finally:
        con.unregister("to_insert")


def _insert_many(con, insert_sql: str, rows: list[tuple]) -> None:
    if rows:
        con.executemany(insert_sql, rows)


def insert_bulk(con, table: str, names: list[str], rows: list[tuple]) -> None:
    """Insert rows as one relation: ``executemany`` binds and runs a statement per row, which
    for a national month's quarantined rows and their reasons cost more than loading the rest."""
    if not rows:
        return
    con.register("bulk_rows", pd.DataFrame.from_records(rows, columns=names))
    try:
        con.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(names)} FROM bulk_rows")
    finally:
        con.unregister("bulk_rows")


def _names(table: dq.DqTable) -> list[str]:
    return [name for name, _, _ in table.columns]


def _next_seen_order(con) -> int:
    return con.execute("SELECT COALESCE(max(seen_order), 0) + 1 FROM dq.deliveries").fetchone()[0]


def _record(con, result: DeliveryResult, validation_rows: list[tuple] = ()) -> None:
    result.seen_order = _next_seen_order(con)
    con.execute(dq.DELIVERIES.insert_sql(),
                [result.source, result.month, result.version, result.file_name, result.sha256, result.status,
                 result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_duplicate,
                 result.reason, result.seen_order])
    _insert_many(con, dq.VALIDATION_RESULTS.insert_sql(), [row + (result.seen_order,) for row in validation_rows])
    _insert_many(con, dq.DELIVERY_EVENTS.insert_sql(), [
        (result.sha256, result.source, result.month, result.version, result.file_name, e.kind, e.severity,
         e.count, list(e.column_names) if e.column_names is not None else None, e.detail)
        for e in result.events])


def _record_alone(con, result: DeliveryResult, validation_rows: list[tuple] = ()) -> None:
    """Record a fate that loads nothing (rejected, duplicate, ignored) in its own transaction."""
    con.begin()
    _record(con, result, validation_rows)
    con.commit()


def snapshot_tables(contract: SourceContract) -> list[Table]:
    """The tables whose every delivery is a snapshot of all keys (the contract's snapshot rule)."""
    return [t for t in contract.tables if t.earlier_delivery_key_rule == "snapshot"]


def missing_from_snapshot(con, table: Table, landed: LandedFile) -> int:
    """Keys whose last loaded row is older than this snapshot, so absent from it.

    A key's last loaded row is of its latest month, so the keys whose latest month is
    earlier than this one are counted (a grouping, not a ranking of every row).
    """
    keys = ", ".join(table.key)
    return con.execute(f"""
        SELECT count(*) FROM (SELECT max(source_month) AS latest FROM raw.{table.raw_table} GROUP BY {keys})
        WHERE latest < ?
    """, [landed.month]).fetchone()[0]


def fold_snapshot_rows(con, table: Table, sha256: str, file_name: str) -> list[tuple[str, str, int]]:
    """Remove the rows of ``table`` that a snapshot merely repeats, for the keys the delivery
    (``sha256``, ``file_name``) loaded; returns (sha256, file_name, rows removed) per delivery
    that lost rows.

    A key keeps, in month order, the row where each of its values began and its latest row
    (the one that describes it, with its lineage). A row equal to the key's row before it
    that is not its latest says nothing new: every later row equal to it stands for it, so
    the key's latest values and where they began are unchanged by removing it (but for a
    re-delivery that later drops the key: docs/decisions.md, "Storing a contract once per
    change"). The rows of a key change rarely, so storage follows the changes, not the
    number of snapshots.
    """
    keys = ", ".join(table.key)
    relation = f"raw.{table.raw_table}"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE folded AS
        SELECT rowid AS raw_rowid, delivery_sha256, file_name FROM (
            SELECT rowid, delivery_sha256, file_name, row_digest,
                   lag(row_digest) OVER by_month AS previous_digest,
                   lead(source_month) OVER by_month IS NULL AS is_latest
            FROM {relation}
            WHERE ({keys}) IN (SELECT ({keys}) FROM {relation}
                               WHERE delivery_sha256 = $sha256 AND file_name = $file_name)
            WINDOW by_month AS (PARTITION BY {keys} ORDER BY source_month, delivery_version)
        )
        WHERE NOT is_latest AND row_digest = previous_digest
    """, {"sha256": sha256, "file_name": file_name})
    try:
        counts = con.execute("SELECT delivery_sha256, file_name, count(*) FROM folded GROUP BY ALL ORDER BY ALL").fetchall()
        if counts:
            con.execute(f"DELETE FROM {relation} WHERE rowid IN (SELECT raw_rowid FROM folded)")
        return counts
    finally:
        con.execute("DROP TABLE folded")


def ingest_delivery(con, restricted, landed: LandedFile, prepared: PreparedDelivery) -> DeliveryResult:
    """Decide one delivery's fate from its ``prepare_delivery`` and record it."""
    result = DeliveryResult(landed.file_name, landed.sha256, DeliveryStatus.REJECTED, landed.source,
                            landed.month, landed.version)
    try:
        outcomes = _sorted_sheets(con, restricted, landed, prepared)
    except DeliveryRejected as rejection:
        result.reason = str(rejection)
        result.events.append(Event(EventKind.REJECTED, Severity.ERROR, str(rejection)))
        _record_alone(con, result)
        return result
    validation_rows = _gate(landed, prepared, outcomes)
    failure = gate_failure(validation_rows)
    if failure:  # our validator let invalid rows through: refuse the delivery whole, keep the evidence
        result.reason, failed = failure
        result.events.append(Event(EventKind.GATE_FAILED, Severity.ERROR, result.reason, count=failed))
        _record_alone(con, result, validation_rows)
        return result

    result.rows_read = sum(o.rows_read for o in outcomes)
    result.rows_loaded = sum(len(o.to_load) for o in outcomes)
    result.rows_quarantined = sum(len(o.quarantined) for o in outcomes)
    result.rows_duplicate = sum(o.duplicates for o in outcomes)
    extra = tuple(sorted({c for o in outcomes for c in o.extra_columns}))
    if extra:
        result.events.append(Event(EventKind.SCHEMA_DRIFT, Severity.WARNING,
                                   f"unknown column(s) ignored: {', '.join(extra)}", len(extra), extra))
    if result.rows_read == 0:
        result.events.append(Event(EventKind.HEADER_ONLY, Severity.WARNING, "the delivery has a header and no rows", 0))
    if result.rows_quarantined:
        result.events.append(Event(EventKind.QUARANTINED, Severity.WARNING,
                                   f"{result.rows_quarantined} row(s) quarantined", result.rows_quarantined))

    # Raw text goes to the restricted store first; re-running a crashed load rewrites it.
    restricted.execute("DELETE FROM quarantined_raw WHERE sha256 = ? AND file_name = ?",
                       [landed.sha256, landed.file_name])
    insert_bulk(restricted, "quarantined_raw", RESTRICTED_COLUMNS, [
        (landed.sha256, landed.file_name, o.table.name, q.row_number, q.reason, q.raw_text)
        for o in outcomes for q in o.quarantined])

    contract = load_contract(landed.source)
    con.begin()
    in_force = con.execute(
        "SELECT sha256, file_name, version FROM dq.deliveries WHERE source = ? AND month = ? AND status = ?",
        [landed.source, landed.month, DeliveryStatus.ACCEPTED]).fetchone()
    if in_force and in_force[2] > landed.version:
        # A higher version is already in force: counted, but none of its rows is loaded.
        result.status = DeliveryStatus.SUPERSEDED
        result.rows_loaded = 0
        result.reason = f"version {in_force[2]} of this month is already in force"
    else:
        if in_force:
            for table in contract.tables:
                con.execute(f"DELETE FROM raw.{table.raw_table} WHERE delivery_sha256 = ?", [in_force[0]])
            con.execute("UPDATE dq.deliveries SET status = ?, reason = ? WHERE sha256 = ? AND file_name = ?",
                        [DeliveryStatus.SUPERSEDED, f"replaced by {landed.file_name}", in_force[0], in_force[1]])
        for outcome in (o for o in outcomes if not o.to_load.empty):
            _insert_rows(con, landed, outcome)
            _crash_point("after_raw_insert")
        result.status = DeliveryStatus.ACCEPTED
        for table in snapshot_tables(contract):
            missing = missing_from_snapshot(con, table, landed)
            if missing:
                result.events.append(Event(
                    EventKind.CONTRACT_MISSING_FROM_SNAPSHOT, Severity.WARNING,
                    f"{missing} {table.name} key(s) loaded earlier are missing from this snapshot; "
                    "their last loaded rows stand", missing, table.key))
            insert_bulk(con, dq.SNAPSHOT_FOLDS.qualified, _names(dq.SNAPSHOT_FOLDS), [
                (sha256, file_name, table.name, n, landed.sha256, landed.file_name)
                for sha256, file_name, n in fold_snapshot_rows(con, table, landed.sha256, landed.file_name)])
    _record(con, result, validation_rows)
    insert_bulk(con, dq.QUARANTINED_ROWS.qualified, _names(dq.QUARANTINED_ROWS), [
        (landed.sha256, landed.source, landed.month, landed.version, landed.file_name, o.table.name,
         q.row_number, q.reason) for o in outcomes for q in o.quarantined])
    insert_bulk(con, dq.QUARANTINE_REASONS.qualified, _names(dq.QUARANTINE_REASONS), [
        (landed.sha256, landed.file_name, o.table.name, q.row_number, r.kind, r.column_name, r.rule_name,
         r.message) for o in outcomes for q in o.quarantined for r in q.reasons])
    _crash_point("before_commit")
    con.commit()
    return result


def ingest_landing(landing: Path, build_db: Path, restricted_db: Path, secret: bytes,
                   spill: Path | None = None,
                   on_result: Callable[[DeliveryResult], None] | None = None,
                   prepare_ahead: bool | None = None, digests: Path | None = None) -> IngestReport:
    """Take every file of the landing folder not seen before, in the contract's order;
    ``on_result`` hears of each as soon as it is recorded (a run's progress). The files'
    digests are taken up from the record ``digests`` and kept there for the next run
    (``keep_digests``), so that a file seen before is not read again.

    DuckDB works within ingest's memory limit, spilling to ``spill`` beyond it. With
    ``prepare_ahead`` (by default, when the unseen deliveries are large), each delivery is read
    and checked in a second process while the one before it loads (``pipelines.ingest.prepare``)."""
    if not landing.is_dir():
        raise FileNotFoundError(f"landing folder {landing} does not exist or is not a folder")
    build_db.parent.mkdir(parents=True, exist_ok=True)
    report = IngestReport()
    if digests is not None:
        recall_digests(digests)
    con = connect_writer(build_db, spill, ingest_memory_limit())
    restricted = open_restricted(restricted_db)
    try:
        ensure_schema(con)
        seen = con.execute(dq.SEEN_FILES_SQL).fetchall()
        seen_digests = {sha for _, sha, status in seen if sha and status != DeliveryStatus.IGNORED}
        if prepare_ahead is None:
            prepare_ahead = unseen_bytes(landing, seen) >= PREPARE_AHEAD_FROM_BYTES
        deliveries = in_order(take_unseen(landing, seen), secret, digest_key(secret),
                              PREPARE_WORKERS if prepare_ahead else 0,
                              worth_preparing=lambda f: f.is_delivery and f.sha256 not in seen_digests)
        for delivery in deliveries:
            landed = delivery.landed
            if not landed.is_delivery:
                # Recorded once, in dq.deliveries (no event): alerts read it there.
                result = DeliveryResult(landed.file_name, landed.sha256, DeliveryStatus.IGNORED,
                                        reason=landed.problem or "not a delivery name: reported once, never loaded")
                _record_alone(con, result)
            elif landed.sha256 and landed.sha256 in seen_digests:
                result = DeliveryResult(landed.file_name, landed.sha256, DeliveryStatus.DUPLICATE, landed.source,
                                        landed.month, landed.version,
                                        reason="the same bytes as a file already seen: changes nothing")
                _record_alone(con, result)
            else:
                with cyclic_gc_paused():
                    result = ingest_delivery(con, restricted, landed, delivery.prepared())
                seen_digests.add(landed.sha256)
            delivery.release()
            report.results.append(result)
            if on_result is not None:
                on_result(result)
    finally:
        con.close()
        restricted.close()
    if digests is not None:
        keep_digests(digests, landing)
    return report
