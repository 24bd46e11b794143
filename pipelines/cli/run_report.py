"""What a run did, for the person who started it: the summary printed at its end.

Built from structured records only: the run's rows of ``dq.deliveries`` and ``dq.alerts``
in the analyst copy, and the publication step's materialisation metadata. Pure functions
of those; the reading is in ``read_run_records``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.alerts.incident import plural, scrub
from pipelines.dq import DeliveryStatus
from pipelines.settings import Home

FATE_ORDER = (DeliveryStatus.ACCEPTED, DeliveryStatus.SUPERSEDED, DeliveryStatus.REJECTED,
              DeliveryStatus.DUPLICATE, DeliveryStatus.IGNORED)
COUNT_COLUMNS = ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate")
DELIVERY_COLUMNS = ("file_name", "status", *COUNT_COLUMNS, "reason", "seen_order")
CHANNEL_WORDS = {"sent": "sent", "failed": "FAILED (it is sent again with the next alert)",
                 "not_configured": "not configured", "nothing_to_send": "nothing to send"}


@dataclass(frozen=True)
class Fate:
    status: str
    files: int
    rows: dict[str, int]  # the four counts summed (missing for fates that read no rows)


@dataclass
class RunRecords:
    """What the summary is made from."""
    deliveries: list[dict] = field(default_factory=list)  # this run's dq.deliveries rows
    alerts: list[dict] = field(default_factory=list)  # this run's dq.alerts rows
    publication: dict | None = None  # the publication step's metadata; None: the step did not run
    checks: list[tuple[str, bool, str]] = field(default_factory=list)  # (asset and check, passed, severity)


def fates(deliveries: list[dict]) -> list[Fate]:
    """Files and summed row counts by fate, in the order accepted, superseded, rejected,
    duplicate, ignored (fates with no file left out)."""
    out = []
    for status in FATE_ORDER:
        rows = [d for d in deliveries if d["status"] == status]
        if rows:
            counted = [d for d in rows if d["rows_read"] is not None]
            sums = {c: sum(d[c] or 0 for d in counted) for c in COUNT_COLUMNS} if counted else {}
            out.append(Fate(str(status), len(rows), sums))
    return out


def _rows_text(rows: dict[str, int]) -> str:
    if not rows:
        return ""
    return (f"{plural(rows['rows_read'], 'row')} read: {rows['rows_loaded']:,} loaded, "
            f"{rows['rows_quarantined']:,} quarantined, {rows['rows_duplicate']:,} duplicate")


def summary_lines(records: RunRecords, home: Home, event_log: Path) -> list[str]:
    """The summary, one line per fact; what to do next where there is something to do."""
    lines: list[str] = []
    deliveries = records.deliveries
    if not deliveries:
        lines.append("Deliveries: nothing new in the landing folder")
    else:
        lines.append(f"Deliveries: {plural(len(deliveries), 'new file')}")
        for fate in fates(deliveries):
            rows = _rows_text(fate.rows)
            lines.append(f"  {fate.status:<10} {fate.files:>4}" + (f"   {rows}" if rows else ""))
        for d in deliveries:
            if d["status"] == DeliveryStatus.REJECTED:
                lines.append(f"  rejected: {d['file_name']}: {scrub(d['reason']) or 'no reason recorded'}")
        quarantined = [d for d in deliveries if (d["rows_quarantined"] or 0) > 0]
        if quarantined:
            total = sum(d["rows_quarantined"] for d in quarantined)
            lines.append(f"  {plural(total, 'row')} quarantined in {plural(len(quarantined), 'delivery', 'deliveries')}: "
                         f"list them with `checkpoint-warehouse quarantine --home {home.root}`")
    if records.checks:
        lines.append(_checks_line(records.checks))
    lines.append(_alerts_line(records.alerts))
    lines.append(_publication_line(records.publication))
    lines.append(f"Event log: {event_log}")
    return lines


def _checks_line(checks: list[tuple[str, bool, str]]) -> str:
    """The run's asset checks (reconciliation, GX, dbt tests): how many passed, and the
    names of those that did not, as warnings or failures by their severity."""
    failed = [(name, severity) for name, passed, severity in checks if not passed]
    line = f"Checks: {len(checks) - len(failed)} of {len(checks)} passed"
    for severity, word in (("WARN", "warned"), ("ERROR", "FAILED")):
        names = sorted(name for name, s in failed if s == severity)
        if names:
            line += f"; {word}: {', '.join(names)}"
    return line


def _alerts_line(alerts: list[dict]) -> str:
    if not alerts:
        return "Alerts: nothing new to alert"
    kinds = Counter(a["kind"] for a in alerts)
    by_kind = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in kinds.most_common())
    channels = []
    for channel in ("email", "webhook"):
        states = sorted({a[f"{channel}_status"] or "unknown" for a in alerts})
        channels.append(f"{channel} {'/'.join(CHANNEL_WORDS.get(s, s) for s in states)}")
    return f"Alerts: {plural(len(alerts), 'incident')} raised ({by_kind}); {', '.join(channels)}"


def _publication_line(meta: dict | None) -> str:
    if meta is None:
        return "Publication: none (the run did not reach the publication step)"
    if not meta.get("published"):
        return "Publication: none (no month has an accepted delivery from every source yet)"
    if meta.get("created"):
        return f"Publication: {meta['period']} written to {meta['folder']}"
    return f"Publication: {meta['period']} unchanged, already in {meta['folder']}"


def read_run_records(home: Home, run_id: str, seen_orders: list[int], publication: dict | None,
                     checks: list[tuple[str, bool, str]]) -> RunRecords:
    """This run's rows from the analyst copy the run has just published."""
    from pipelines.warehouse.queries import read_warehouse

    deliveries = [dict(zip(DELIVERY_COLUMNS, row)) for row in read_warehouse(
        home, f"SELECT {', '.join(DELIVERY_COLUMNS)} FROM dq.deliveries "
              "WHERE list_contains(?::INTEGER[], seen_order) ORDER BY seen_order", [seen_orders])]
    alert_columns = ("key", "kind", "severity", "email_status", "webhook_status")
    alerts = [dict(zip(alert_columns, row)) for row in read_warehouse(
        home, f"SELECT {', '.join(alert_columns)} FROM dq.alerts WHERE run_id = ? ORDER BY key", [run_id])]
    return RunRecords(deliveries, alerts, publication, checks)
