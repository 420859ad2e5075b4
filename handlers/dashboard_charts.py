"""Charts drawn on the server as inline SVG (no script, no library), each beside a table of its
numbers: the table is what a screen reader reads and what a person copies.

Every chart is an `<svg role="img">` named by its heading (`aria-labelledby`); its marks use the
stylesheet's colours (handlers/static/dashboard/dashboard.css: 3:1 against white or more), and
two series differ by dashes as well as colour.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28


@dataclass(frozen=True)
class Series:
    name: str
    css: str  # received, resolved, median, p90
    values: Sequence[float | None]


def number(value: float | None, digits: int = 1) -> str:
    """A figure as shown: "—" when there is none, whole numbers without decimals."""
    if value is None:
        return "—"
    if float(value).is_integer() and digits == 0:
        return str(int(value))
    return f"{value:.{digits}f}"


def whole(values: Sequence[float]) -> bool:
    """Counts, not durations: the axis gets whole numbers."""
    return all(float(v).is_integer() for v in values)


def nice_top(value: float, counts: bool = False) -> float:
    """A round upper end for an axis at or above `value` (1, 2, 2.5, 5 × 10^n); for counts a
    multiple of 4, so the four steps of the axis are whole numbers."""
    if counts:
        return float(4 * math.ceil(nice_top(value) / 4))
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def _axis(top: float, plot_w: float, plot_h: float) -> list[str]:
    parts = []
    for i in range(5):
        y = TOP + plot_h - plot_h * i / 4
        value = top * i / 4
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{LEFT + plot_w:.1f}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">'
            f"{number(value, 0 if value.is_integer() else 1)}</text>"
        )
    parts.append(
        f'<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h:.1f}"/>'
        f'<line class="axis" x1="{LEFT}" x2="{LEFT + plot_w:.1f}" y1="{TOP + plot_h:.1f}" '
        f'y2="{TOP + plot_h:.1f}"/>'
    )
    return parts


def line_chart(
    labelled_by: str,
    labels: Sequence[str],
    series: Sequence[Series],
    target: tuple[float, str] | None = None,
) -> str:
    """Lines over `labels` (days or weeks); a gap where a value is missing; an optional
    horizontal target line (the seed's 93 minutes)."""
    e = html.escape
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    values = [v for s in series for v in s.values if v is not None]
    top = nice_top(max([*values, target[0] if target else 0.0, 0.0]), whole(values))
    step = plot_w / max(len(labels) - 1, 1)
    parts = _axis(top, plot_w, plot_h)

    def y_of(value: float) -> float:
        return TOP + plot_h - plot_h * value / top

    for s in series:
        runs: list[list[str]] = [[]]
        for index, value in enumerate(s.values):
            if value is None:
                runs.append([])
                continue
            runs[-1].append(f"{LEFT + step * index:.1f},{y_of(value):.1f}")
        for run in runs:
            if len(run) == 1:
                cx, cy = run[0].split(",")
                parts.append(f'<circle class="{s.css}" cx="{cx}" cy="{cy}" r="2.5"/>')
            elif run:
                parts.append(f'<polyline class="{s.css}" points="{" ".join(run)}"/>')
    if target is not None:
        y = y_of(target[0])
        parts.append(
            f'<line class="target" x1="{LEFT}" x2="{LEFT + plot_w:.1f}" y1="{y:.1f}" '
            f'y2="{y:.1f}"/><text x="{LEFT + plot_w:.1f}" y="{y - 4:.1f}" '
            f'text-anchor="end">{e(target[1])}</text>'
        )
    if labels:
        shown = sorted({0, len(labels) // 2, len(labels) - 1})
        for index in shown:
            anchor = "start" if index == 0 else "end" if index == len(labels) - 1 else "middle"
            parts.append(
                f'<text x="{LEFT + step * index:.1f}" y="{HEIGHT - 8}" '
                f'text-anchor="{anchor}">{e(labels[index])}</text>'
            )
    return _svg(labelled_by, WIDTH, HEIGHT, parts)


def bar_chart(labelled_by: str, labels: Sequence[str], series: Sequence[Series]) -> str:
    """Horizontal bars, one group per label, one bar per series."""
    e = html.escape
    label_w = 150
    bar_h, gap = 12, 8
    group_h = bar_h * len(series) + gap
    height = TOP + BOTTOM + max(len(labels), 1) * group_h
    plot_w = WIDTH - label_w - RIGHT - 40
    values = [v for s in series for v in s.values if v is not None]
    top = nice_top(max([*values, 0.0]), whole(values))
    parts = [
        f'<line class="axis" x1="{label_w}" x2="{label_w}" y1="{TOP}" y2="{height - BOTTOM}"/>'
    ]
    for row, label in enumerate(labels):
        y0 = TOP + row * group_h
        short = label if len(label) <= 22 else label[:21] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y0 + group_h / 2:.1f}" text-anchor="end">'
            f"{e(short)}</text>"
        )
        for index, s in enumerate(series):
            value = s.values[row] or 0.0
            width = plot_w * value / top
            y = y0 + index * bar_h
            second = " second" if index == 1 else ""
            parts.append(
                f'<rect class="bar {s.css}{second}" x="{label_w}" y="{y:.1f}" '
                f'width="{width:.1f}" height="{bar_h - 2}"/>'
                f'<text x="{label_w + width + 4:.1f}" y="{y + bar_h - 3:.1f}">'
                f"{number(s.values[row], 0 if float(value).is_integer() else 1)}</text>"
            )
    return _svg(labelled_by, WIDTH, height, parts)


def _svg(labelled_by: str, width: int, height: int, parts: list[str]) -> str:
    return (
        f'<svg class="chart" role="img" aria-labelledby="{labelled_by}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(parts)
        + "</svg>"
    )


def legend(series: Sequence[Series], target: str | None = None) -> str:
    e = html.escape
    items = [f'<span class="{s.css}">{e(s.name)}</span>' for s in series]
    if target:
        items.append(f'<span class="target">{e(target)}</span>')
    return f'<p class="legend" aria-hidden="true">{"".join(items)}</p>'


def table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """The chart's numbers: a focusable, scrollable table (keyboard users can scroll it)."""
    e = html.escape
    head = "".join(f'<th scope="col">{e(h)}</th>' for h in headers)
    body = "".join(
        "<tr>"
        + f'<th scope="row">{e(row[0])}</th>'
        + "".join(f"<td>{e(cell)}</td>" for cell in row[1:])
        + "</tr>"
        for row in rows
    )
    return (
        f'<div class="numbers" tabindex="0" role="region" aria-label="{e(caption)}">'
        f'<table><caption class="skip">{e(caption)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def figure(
    anchor: str, heading: str, chart: str, numbers: str, note: str = "", key: str = ""
) -> str:
    """A section: heading, the chart with its legend, and its table beside it."""
    e = html.escape
    extra = f'<p class="muted">{e(note)}</p>' if note else ""
    return (
        f'<section class="figure" aria-labelledby="{anchor}"><h2 id="{anchor}">{e(heading)}</h2>'
        f'{extra}<div class="pair"><div>{key}{chart}</div>{numbers}</div></section>'
    )
