"""One digest per dispatch: the subject, a plain-text and an HTML body for email, and the
JSON a Slack or Teams incoming webhook accepts. Pure functions of the incidents."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pipelines.alerts.incident import Incident, plural, sort_key

# Slack cuts a message's text at 40,000 characters and Teams refuses payloads over about
# 28 KB; the digest's text is kept well below both (every incident is still in `incidents`).
WEBHOOK_TEXT_LIMIT = 12_000

FOOTER = ("Each alert is raised once. Every alert is recorded in alerts.jsonl under the warehouse "
          "home and in the data-quality history (dq.alerts).")


@dataclass(frozen=True)
class Digest:
    subject: str
    text: str
    html: str
    webhook: dict


def summary(incidents: list[Incident]) -> str:
    errors = sum(1 for i in incidents if i.severity == "error")
    warnings = len(incidents) - errors
    parts = [plural(errors, "error")] if errors else []
    if warnings or not errors:
        parts.append(plural(warnings, "warning"))
    return ", ".join(parts)


def _counts_text(counts: Mapping) -> str:
    def show(v):
        return f"{v:,}" if isinstance(v, int) else f"{v:,.4g}" if isinstance(v, float) else str(v)
    def name(k: str) -> str:  # 'rows_read' -> 'rows read'; a reason label stays as written
        return k if ":" in k else k.replace("_", " ")
    return "; ".join(f"{name(k)} {show(v)}" for k, v in counts.items())


def _incident_text(number: int, incident: Incident, note: str | None) -> str:
    lines = [f"{number}. {incident.severity.upper()}: {incident.title}"]
    if note:
        lines.append(f"   ({note})")
    lines.append(f"   What happened: {incident.detail}")
    if incident.delivery:
        lines.append(f"   Delivery: {incident.delivery}")
    if incident.counts:
        lines.append(f"   Counts: {_counts_text(incident.counts)}")
    lines.append(f"   What to do: {incident.action}")
    lines.append(f"   Alert key: {incident.key}")
    return "\n".join(lines)


def _incident_html(incident: Incident, note: str | None) -> str:
    e = html.escape
    colour = "#b00020" if incident.severity == "error" else "#8a5a00"
    rows = [f'<h3 style="margin-bottom:4px"><span style="color:{colour}">'
            f'{e(incident.severity.upper())}</span> {e(incident.title)}</h3>']
    if note:
        rows.append(f"<p><em>{e(note)}</em></p>")
    rows.append(f"<p>{e(incident.detail)}</p>")
    if incident.delivery:
        rows.append(f"<p><strong>Delivery:</strong> <code>{e(incident.delivery)}</code></p>")
    if incident.counts:
        cells = "".join(f"<tr><th style=\"text-align:left\">{e(str(k))}</th><td>{e(f'{v:,}' if isinstance(v, int) else str(v))}</td></tr>"
                        for k, v in incident.counts.items())
        rows.append(f"<table>{cells}</table>")
    rows.append(f"<p><strong>What to do:</strong> {e(incident.action)}</p>")
    rows.append(f'<p style="color:#555;font-size:small">Alert key: {e(incident.key)}</p>')
    return "\n".join(rows)


def compose(
    incidents: list[Incident],
    *,
    now: datetime,
    run_id: str | None = None,
    notes: Mapping[str, str] | None = None,
) -> Digest:
    """The digest of ``incidents`` (errors first). ``notes`` adds a line to an incident by
    key (used for alerts sent late, after their channel failed)."""
    notes = notes or {}
    ordered = sorted(incidents, key=sort_key)
    when = f"{now:%Y-%m-%d %H:%M}"
    where = f"in run {run_id}" if run_id else f"on {when}"
    subject = f"[Checkpoint] {summary(ordered)} {where}"
    heading = f"Checkpoint Warehouse: {summary(ordered)} {where}" + (f" ({when})" if run_id else "") + "."

    blocks = [_incident_text(n, i, notes.get(i.key)) for n, i in enumerate(ordered, start=1)]
    text = "\n\n".join([heading, *blocks, FOOTER]) + "\n"

    body = "\n<hr>\n".join(_incident_html(i, notes.get(i.key)) for i in ordered)
    page = (f"<!DOCTYPE html>\n<html><body style=\"font-family:sans-serif\">\n"
            f"<h2>{html.escape(heading)}</h2>\n{body}\n<hr>\n<p>{html.escape(FOOTER)}</p>\n</body></html>\n")

    short = text
    if len(short) > WEBHOOK_TEXT_LIMIT:
        cut = short.rfind("\n\n", 0, WEBHOOK_TEXT_LIMIT - 200)
        short = short[: cut if cut > 0 else WEBHOOK_TEXT_LIMIT - 200] + \
            "\n\n…the rest of the digest is in alerts.jsonl and dq.alerts.\n"
    webhook = {
        "text": short,
        "summary": subject,
        "run_id": run_id,
        "alerted_at": now.isoformat(timespec="seconds"),
        "incidents": [{**i.to_record(), **({"note": notes[i.key]} if i.key in notes else {})}
                      for i in ordered],
    }
    return Digest(subject=subject, text=text, html=page, webhook=webhook)
