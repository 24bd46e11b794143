"""``bulletin_P.html``: the one-page bulletin.

Self-contained: inline CSS and inline SVG, no script, font, image or link outside the page
(the only links are to its own headings). Built from published (rounded and suppressed)
cells only, so no change on the month or on the year can reveal a suppressed figure: a
change is worked out from two published numbers, and is not given when either is a marker.
"""

from __future__ import annotations

import numbers
from collections import Counter
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from html import escape

from pipelines.calendar_uk import release_date
from pipelines.publication.charts import Point, line_chart
from pipelines.publication.disclosure import PublishedCell
from pipelines.publication.manifest import COUNTS
from pipelines.publication.outcomes import OUTCOME_CAVEATS, OutcomeCell
from pipelines.publication.periods import add_months, month_range, period_label, short_label
from pipelines.publication.reference import Reference
from pipelines.publication.text import (
    CONTACT,
    MARKER_NOTES,
    PUBLICATION_TITLE,
    breakdown_note,
    long_date,
    status_text,
)

# (measure, chart heading) of the trend charts, which are also the main points.
TRENDS = (
    ("diversions_started", "Diversions started"),
    ("completion_rate", "Completion rate"),
    ("records_expunged", "Records expunged"),
)
TREND_MONTHS = 24
_MARKER_WORDS = {"[c]": "confidential", "[z]": "not applicable", "[x]": "not available"}

_CSS = """
body{font-family:Arial,Helvetica,sans-serif;color:#0b0c0c;background:#fff;margin:0;
line-height:1.5;font-size:1.0625rem}
main{max-width:60rem;margin:0 auto;padding:1rem 1.5rem 3rem}
h1{font-size:2rem;line-height:1.2;margin:1rem 0 .5rem}
h2{font-size:1.5rem;margin:2.5rem 0 .75rem;border-top:2px solid #b1b4b6;padding-top:1rem}
h3{font-size:1.2rem;margin:1.5rem 0 .5rem}
.meta{color:#333;margin:0 0 1rem}
.skip{position:absolute;left:-999em}
.skip:focus{position:static;background:#fd0;color:#0b0c0c;padding:.25rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}
caption{text-align:left;font-weight:bold;padding:.25rem 0}
th,td{border-bottom:1px solid #b1b4b6;padding:.35rem .5rem;text-align:left;
vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tfoot td,tfoot th{font-weight:bold;border-top:2px solid #0b0c0c}
.points li{margin-bottom:.5rem}
figure{margin:1rem 0}
svg.chart{width:100%;height:auto;max-width:720px;display:block}
figcaption{color:#333}
details{margin:.5rem 0 1.5rem}
summary{cursor:pointer;color:#1d70b8;text-decoration:underline}
summary:focus{outline:3px solid #fd0}
dl{margin:.5rem 0}dt{font-weight:bold}dd{margin:0 0 .5rem 0}
"""


def bulletin_file_name(period: str) -> str:
    return f"bulletin_{period}.html"


# --------------------------------------------------------------------------- wording


def _shown(c: PublishedCell | None, unit: str) -> str:
    """A published cell as read in running text (``31``, ``93.8%``, ``[c] confidential``)."""
    if c is None:
        return "no figure"
    if c.number is None:
        return f"{c.marker} ({_MARKER_WORDS[c.marker]})"
    if unit == "count":
        return f"{c.number:,}"
    return f"{c.number}%" if unit == "rate" else f"{c.number} days"


def _change(now: PublishedCell | None, then: PublishedCell | None, unit: str,
            then_period: str) -> str:
    """The change from ``then`` to ``now``, from published numbers only."""
    when = period_label(then_period)
    if then is None:
        return f"no figure for {when}"
    if now is None or now.number is None or then.number is None:
        return f"not comparable with {when}, which is {_shown(then, unit)}"
    diff = Decimal(now.number) - Decimal(then.number)
    if diff == 0:
        return f"no change from {when}"
    size = abs(diff)
    amount = (f"{size:,}" if unit == "count"
              else f"{size} percentage point{'s' if size != 1 else ''}" if unit == "rate"
              else f"{size} day{'s' if size != 1 else ''}")
    return f"{'up' if diff > 0 else 'down'} {amount} from {_shown(then, unit)} in {when}"


# --------------------------------------------------------------------------- sections


def _headline(totals, ref: Reference, period: str) -> str:
    month, year = add_months(period, -1), add_months(period, -12)
    points = []
    for measure, heading in TRENDS:
        unit = ref.measure[measure].unit
        now = totals.get((period, measure))
        on_month = _change(now, totals.get((month, measure)), unit, month)
        on_year = _change(now, totals.get((year, measure)), unit, year)
        points.append(
            f"<li><strong>{escape(heading)}: {escape(_shown(now, unit))}</strong> in "
            f"{period_label(period)}; {escape(on_month)}, and {escape(on_year)}.</li>"
        )
    rows = []
    for m in ref.measures:
        now = totals.get((period, m.name))
        rows.append(
            f'<tr><th scope="row">{escape(m.name.replace("_", " ").capitalize())}</th>'
            f'<td class="n">{escape(_shown(now, m.unit))}</td>'
            f"<td>{escape(_change(now, totals.get((month, m.name)), m.unit, month))}</td>"
            f"<td>{escape(_change(now, totals.get((year, m.name)), m.unit, year))}</td></tr>"
        )
    return (
        '<section aria-labelledby="main-points"><h2 id="main-points">Main points</h2>'
        f'<ul class="points">{"".join(points)}</ul>'
        f"<table><caption>Headline figures for {period_label(period)} (all people), with "
        "the change on the month and on the year</caption><thead><tr>"
        '<th scope="col">Measure</th>'
        f'<th scope="col" class="n">{period_label(period)}</th>'
        f'<th scope="col">Change on the month</th><th scope="col">Change on the year</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def _trends(totals, ref: Reference, period: str, first: str) -> str:
    periods = month_range(max(first, add_months(period, 1 - TREND_MONTHS)), period)
    parts = [
        '<section aria-labelledby="trends"><h2 id="trends">Trends over the last '
        f"{len(periods)} months</h2>"
    ]
    for measure, heading in TRENDS:
        unit = ref.measure[measure].unit
        cells = [totals.get((p, measure)) for p in periods]
        pts = [Point(p, short_label(p), c.number if c else None) for p, c in zip(periods, cells)]
        shown = [(p, c) for p, c in zip(periods, cells) if c is not None and c.number is not None]
        span = f"{period_label(periods[0])} to {period_label(periods[-1])}"
        title = f"{heading}, {span}"
        if shown:
            hi = max(shown, key=lambda t: t[1].number)
            lo = min(shown, key=lambda t: t[1].number)
            desc = (f"Line chart of {heading.lower()} each month, {span}. Highest "
                    f"{_shown(hi[1], unit)} in {period_label(hi[0])}; lowest "
                    f"{_shown(lo[1], unit)} in {period_label(lo[0])}; latest "
                    f"{_shown(cells[-1], unit)} in {period_label(period)}.")
        else:
            desc = f"Line chart of {heading.lower()}, {span}: no month has a published value."
        gaps = len(periods) - len(shown)
        if gaps:
            desc += (f" {gaps} month{'s are' if gaps != 1 else ' is'} not plotted because "
                     "the figure is withheld [c], not applicable [z] or not available [x].")
        chart_id = f"chart-{measure.replace('_', '-')}"
        rows = "".join(
            f'<tr><th scope="row">{period_label(p)}</th>'
            f'<td class="n">{escape(_shown(c, unit))}'
            f'{" " + escape(c.status) if c is not None and c.status else ""}</td></tr>'
            for p, c in zip(periods, cells)
        )
        parts.append(
            f'<h3 id="{chart_id}-heading">{escape(heading)}</h3><figure>'
            f"{line_chart(chart_id, title, desc, pts, percent=unit == 'rate')}"
            f"<figcaption>{escape(desc)}</figcaption></figure>"
            f"<details><summary>{escape(heading)}: the figures in the chart</summary>"
            f"<table><caption>{escape(title)}</caption><thead><tr>"
            '<th scope="col">Month</th><th scope="col" class="n">Figure</th>'
            f"</tr></thead><tbody>{rows}</tbody></table></details>"
        )
    parts.append("</section>")
    return "".join(parts)


# ---- outcomes (outcomes.md section 6)

_RRI_STAGES = (
    ("offer_rri_12m", "Offered Checkpoint when eligible"),
    ("acceptance_rri_12m", "Accepted an offer"),
    ("completion_rri_12m", "Completed, of contracts that ended"),
)
_RRI_GROUPS = ("Asian", "Black", "Mixed", "Other")


def _outcome_text(c: OutcomeCell | None, unit: str) -> str:
    """An outcome cell in running text, with its interval (``62.5% (95% confidence
    interval 40.9% to 79.2%)``, ``0.93 (0.80 to 1.07)``)."""
    if c is None:
        return "no figure"
    if c.number is None:
        return f"{c.marker} ({_MARKER_WORDS[c.marker]})"
    if unit == "rate":
        return f"{c.number}% (95% confidence interval {c.lower}% to {c.upper}%)"
    return f"{c.number} (95% confidence interval {c.lower} to {c.upper})"


def _outcomes(outcomes: list[OutcomeCell], period: str) -> str:
    """Latest rolling rates and RRIs in words, the 12-month re-arrest chart with its band."""
    cell = {c.key: c for c in outcomes}
    totals = [c for c in outcomes if c.breakdown == "total"]

    def latest(measure: str) -> OutcomeCell | None:
        found = [c for c in totals if c.measure == measure]
        return found[-1] if found else None  # cells are in period order within a measure

    acceptance = cell.get((period, "acceptance_rate_12m", "total", "all"))
    completion = cell.get((period, "completion_rate_12m", "total", "all"))
    rearrest, reoffending = latest("rearrest_rate_12m"), latest("reoffending_rate_12m")
    declined = (cell.get((rearrest.period, "declined_rearrest_rate_12m", "total", "all"))
                if rearrest else None)
    window = f"the 12 months to {period_label(period)}"
    points = [
        f"<li>In {window}, <strong>{escape(_outcome_text(acceptance, 'rate'))}</strong> of "
        "offers made in custody were accepted.</li>",
        f"<li>In {window}, <strong>{escape(_outcome_text(completion, 'rate'))}</strong> of "
        "contracts that ended were completed.</li>",
    ]
    if rearrest is not None:
        points.append(
            f"<li>Of people diverted in {period_label(rearrest.period)}, the latest cohort "
            f"followed for 12 months, <strong>{escape(_outcome_text(rearrest, 'rate'))}"
            "</strong> were arrested again within 12 months; of people who declined an offer "
            f"that month, {escape(_outcome_text(declined, 'rate'))}.</li>")
    if reoffending is not None:
        points.append(
            f"<li>Of people diverted in {period_label(reoffending.period)}, "
            f"<strong>{escape(_outcome_text(reoffending, 'rate'))}</strong> had a later arrest "
            "within 12 months that ended in a charge, caution or community resolution "
            "recorded within a further six months.</li>")
    rri_rows = "".join(
        f'<tr><th scope="row">{escape(group)}</th>' + "".join(
            f'<td class="n">{escape(_outcome_text(cell.get((period, m, "ethnicity_group", group)), "rri"))}</td>'
            for m, _ in _RRI_STAGES) + "</tr>"
        for group in _RRI_GROUPS)
    rri_head = "".join(f'<th scope="col" class="n">{escape(h)}</th>' for _, h in _RRI_STAGES)
    caveats = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in OUTCOME_CAVEATS)
    parts = [
        '<section aria-labelledby="outcomes"><h2 id="outcomes">Outcomes: re-arrest, '
        "reoffending and fairness</h2>"
        "<p>These are police-data measures: a later arrest is not a conviction, and people "
        "who declined an offer are not a controlled comparison group.</p>"
        f'<ul class="points">{"".join(points)}</ul>'
        f"<table><caption>Relative rate index by ethnicity group against White people, "
        f"{window} (1 is the same rate as White people)</caption><thead><tr>"
        f'<th scope="col">Ethnicity group</th>{rri_head}</tr></thead>'
        f"<tbody>{rri_rows}</tbody></table>"
    ]
    series = [c for c in totals if c.measure == "rearrest_rate_12m"][-TREND_MONTHS:]
    if series:
        span = f"{period_label(series[0].period)} to {period_label(series[-1].period)}"
        title = f"Re-arrest within 12 months of diversion, by cohort month, {span}"
        shown = [c for c in series if c.number is not None]
        desc = (f"Line chart of the percentage of people diverted each month who were "
                f"arrested again within 12 months, cohorts of {span}, with the 95% "
                "confidence interval shaded around the line.")
        if shown:
            hi = max(shown, key=lambda c: c.number)
            lo = min(shown, key=lambda c: c.number)
            desc += (f" Highest {hi.number}% for {period_label(hi.period)}; lowest "
                     f"{lo.number}% for {period_label(lo.period)}.")
        gaps = len(series) - len(shown)
        if gaps:
            desc += (f" {gaps} cohort month{'s are' if gaps != 1 else ' is'} not plotted "
                     "because the figure is withheld [c], not applicable [z] or not "
                     "available [x].")
        pts = [Point(c.period, short_label(c.period), c.number, c.lower, c.upper) for c in series]
        rows = "".join(
            f'<tr><th scope="row">{period_label(c.period)}</th>'
            f'<td class="n">{escape(c.value or c.marker)}</td>'
            f'<td class="n">{escape(c.lower_95 or c.marker)}</td>'
            f'<td class="n">{escape(c.upper_95 or c.marker)}</td></tr>'
            for c in series)
        parts.append(
            '<h3 id="chart-rearrest-heading">Re-arrest within 12 months, by cohort month</h3>'
            f'<figure>{line_chart("chart-rearrest-rate-12m", title, desc, pts, percent=True, band=True)}'
            f"<figcaption>{escape(desc)}</figcaption></figure>"
            "<details><summary>Re-arrest within 12 months: the figures in the chart</summary>"
            f"<table><caption>{escape(title)}</caption><thead><tr>"
            '<th scope="col">Cohort month</th><th scope="col" class="n">Percentage</th>'
            '<th scope="col" class="n">Lower 95% limit</th>'
            '<th scope="col" class="n">Upper 95% limit</th>'
            f"</tr></thead><tbody>{rows}</tbody></table></details>")
    parts.append(f"<dl>{caveats}</dl></section>")
    return "".join(parts)


def _value(v: object) -> str:
    """A data-quality summary value as HTML (scalars, lists and mappings, nested)."""
    if isinstance(v, Mapping):
        items = "".join(f"<dt>{escape(_label(k))}</dt><dd>{_value(x)}</dd>" for k, x in v.items())
        return f"<dl>{items}</dl>"
    if isinstance(v, (list, tuple)):
        return "<ul>" + "".join(f"<li>{_value(x)}</li>" for x in v) + "</ul>"
    if isinstance(v, bool) or v is None:
        return escape({True: "yes", False: "no", None: "none"}[v])
    if isinstance(v, numbers.Integral):
        return f"{int(v):,}"
    return escape(str(v))


def _label(key: object) -> str:
    text = str(key).replace("_", " ")
    return text[:1].upper() + text[1:]


def _quality(accepted: list[dict], all_deliveries: list[Mapping], dq_summary: Mapping) -> str:
    def cells(d: Mapping) -> str:
        return "".join(f'<td class="n">{d[k]:,}</td>' for k in COUNTS)

    head = "".join(f'<th scope="col" class="n">{escape(_label(k))}</th>' for k in COUNTS)
    by_source = {}
    for d in accepted:
        t = by_source.setdefault(d["source"], {"files": 0, **{k: 0 for k in COUNTS}})
        t["files"] += 1
        for k in COUNTS:
            t[k] += d[k]
    total = {k: sum(d[k] for d in accepted) for k in COUNTS}
    source_rows = "".join(
        f'<tr><th scope="row">{escape(s)}</th><td class="n">{t["files"]:,}</td>{cells(t)}</tr>'
        for s, t in by_source.items()
    )
    file_rows = "".join(
        f'<tr><td>{escape(d["source"])}</td><td>{escape(d["month"])}</td>'
        f'<td>{escape(d["file_name"])}</td>{cells(d)}</tr>'
        for d in accepted
    )
    others = Counter(str(d.get("status")) for d in all_deliveries
                     if d.get("status") != "accepted")
    other = ""
    if others:
        other = ("<p>Other files seen in the landing folder, not in force: "
                 + escape(", ".join(f"{n} {s}" for s, n in sorted(others.items()))) + ".</p>")
    summary = f"<h3>Summary of checks</h3>{_value(dq_summary)}" if dq_summary else ""
    return (
        '<section aria-labelledby="quality"><h2 id="quality">Data quality</h2>'
        "<p>The figures are made from every delivery in force (accepted): below, the rows "
        "read from them, loaded, set aside in quarantine and set aside as exact "
        "duplicates.</p>"
        "<table><caption>Deliveries behind this publication, by source</caption>"
        f'<thead><tr><th scope="col">Source</th><th scope="col" class="n">Files</th>{head}'
        f"</tr></thead><tbody>{source_rows}</tbody>"
        f'<tfoot><tr><th scope="row">Total</th><td class="n">{len(accepted):,}</td>'
        f"{cells(total)}</tr></tfoot></table>"
        f"<details><summary>Every delivery behind this publication ({len(accepted)})"
        "</summary><table><caption>Deliveries behind this publication, one row per file"
        '</caption><thead><tr><th scope="col">Source</th><th scope="col">Month</th>'
        f'<th scope="col">File</th>{head}</tr></thead><tbody>{file_rows}</tbody></table>'
        f"</details>{other}{summary}</section>"
    )


def _about(ref: Reference, period: str, release: date, version: int, code_version: str) -> str:
    notes = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in MARKER_NOTES)
    return (
        '<section aria-labelledby="about"><h2 id="about">About these statistics</h2>'
        f"<p>{escape(status_text(period, version))}</p>"
        f"<p>{escape(breakdown_note(ref))} The spreadsheet and CSV file published with this "
        "bulletin hold every figure for every month.</p>"
        f"<dl>{notes}</dl>"
        f"<p>Release date: {long_date(release)}. Next release: {long_date(release_date(add_months(period, 1)))}. Contact: {escape(CONTACT)}. "
        f"Code version: {escape(code_version)}.</p></section>"
    )


def bulletin_bytes(
    cells: list[PublishedCell],
    ref: Reference,
    period: str,
    release: date,
    version: int,
    code_version: str,
    accepted: list[dict],
    all_deliveries: list[Mapping],
    dq_summary: Mapping,
    outcomes: list[OutcomeCell] = (),
) -> bytes:
    """The bulletin; its outcomes section appears once there are outcome cells."""
    totals = {(c.period, c.measure): c for c in cells if c.breakdown == "total"}
    title = f"{PUBLICATION_TITLE}, {period_label(period)}"
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        '<a class="skip" href="#content">Skip to the figures</a>\n'
        f'<main id="content">\n<h1>{escape(title)}</h1>\n'
        f'<p class="meta">Released {long_date(release)}. Version {version}. Figures for '
        f"{period_label(period)} are provisional [p].</p>\n"
        f"{_headline(totals, ref, period)}\n"
        f"{_trends(totals, ref, period, cells[0].period)}\n"
        + (f"{_outcomes(list(outcomes), period)}\n" if outcomes else "") +
        f"{_quality(accepted, all_deliveries, dq_summary)}\n"
        f"{_about(ref, period, release, version, code_version)}\n"
        "</main>\n</body>\n</html>\n"
    )
    return page.encode("utf-8")
