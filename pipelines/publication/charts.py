"""Inline SVG line charts for the bulletin (no chart library, no external resource).

Each chart is ``role="img"`` labelled by its own ``<title>`` and ``<desc>``; the bulletin
puts the same figures in a table beside it. A month without a published value (a marker)
is a gap in the line, never a zero. Coordinates are rounded to one decimal so the markup is
stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from html import escape

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 44, 20, 48
LINE = "#12436D"  # Analysis Function palette, dark blue: 10:1 on white
GRID = "#B1B4B6"
BAND = "#A6C8E0"  # a light tint of LINE for an interval band, behind the line
TEXT = "#0B0C0C"


@dataclass(frozen=True)
class Point:
    period: str
    label: str  # short month label shown on the axis ("Oct 2026")
    number: int | Decimal | None  # None: the month has a marker
    lower: Decimal | None = None  # the interval band around number, when drawn
    upper: Decimal | None = None


def _nice_max(top: float) -> float:
    """The smallest 4 × step at or above ``top``, the step being 1, 2 or 5, then 10, 20,
    25 or 50 × 10^k: the five gridlines fall on whole numbers (0, 20, 40, 60, 80)."""
    scale = 1
    while True:
        for step in ((1, 2, 5) if scale == 1 else (scale, 2 * scale, 2.5 * scale, 5 * scale)):
            if 4 * step >= top:
                return float(4 * step)
        scale *= 10


def _f(x: float) -> str:
    s = f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _tick(v: float, percent: bool) -> str:
    text = f"{v:,.0f}" if v == int(v) else f"{v:,.1f}"
    return text + ("%" if percent else "")


def line_chart(
    chart_id: str, title: str, desc: str, points: list[Point], percent: bool = False,
    band: bool = False,
) -> str:
    """An accessible SVG line chart of ``points`` (in period order); with ``band``, each
    run of months with a value is shaded between its points' lower and upper bounds."""
    values = [float(p.number) for p in points if p.number is not None]
    y_max = 100.0 if percent else _nice_max(max(values, default=0.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(points) - 1, 1)

    def x(i: int) -> float:
        return LEFT + (i * step if len(points) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return TOP + plot_h - v / y_max * plot_h

    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    for k in range(5):  # gridlines and y-axis labels at 0, ¼, ½, ¾ and the top
        v = y_max * k / 4
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_f(y(v))}" y2="{_f(y(v))}" '
                   f'stroke="{GRID}" stroke-width="1"/>')
        out.append(f'<text x="{LEFT - 8}" y="{_f(y(v) + 4)}" text-anchor="end" '
                   f'font-size="13" fill="{TEXT}">{_tick(v, percent)}</text>')
    last = len(points) - 1
    for i, p in enumerate(points):  # every sixth month counting back from the latest
        if (last - i) % 6 == 0:
            out.append(f'<text x="{_f(x(i))}" y="{HEIGHT - BOTTOM + 22}" text-anchor="middle" '
                       f'font-size="13" fill="{TEXT}">{escape(p.label)}</text>')
    if band:
        runs: list[list[int]] = [[]]
        for i, p in enumerate(points):
            if p.number is None or p.lower is None or p.upper is None:
                runs.append([])
            else:
                runs[-1].append(i)
        for run in runs:
            if not run:
                continue
            if len(run) == 1:  # a lone month: a short vertical bar
                i = run[0]
                out.append(f'<line x1="{_f(x(i))}" x2="{_f(x(i))}" '
                           f'y1="{_f(y(float(points[i].upper)))}" y2="{_f(y(float(points[i].lower)))}" '
                           f'stroke="{BAND}" stroke-width="8"/>')
                continue
            edge = ([f"{_f(x(i))},{_f(y(float(points[i].upper)))}" for i in run]
                    + [f"{_f(x(i))},{_f(y(float(points[i].lower)))}" for i in reversed(run)])
            out.append(f'<polygon points="{" ".join(edge)}" fill="{BAND}" stroke="none"/>')
    segment: list[str] = []
    segments: list[list[str]] = []
    for i, p in enumerate(points):
        if p.number is None:
            if segment:
                segments.append(segment)
            segment = []
        else:
            segment.append(f"{_f(x(i))},{_f(y(float(p.number)))}")
    if segment:
        segments.append(segment)
    for seg in segments:
        if len(seg) > 1:
            out.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{LINE}" '
                       f'stroke-width="3" stroke-linejoin="round"/>')
    for i, p in enumerate(points):
        if p.number is not None:
            out.append(f'<circle cx="{_f(x(i))}" cy="{_f(y(float(p.number)))}" r="4" '
                       f'fill="{LINE}"/>')
    out.append("</svg>")
    return "\n".join(out)
