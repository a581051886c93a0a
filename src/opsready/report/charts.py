"""Inline SVG charts for the HTML report, drawn in Python: no script, no external resource, every label escaped.

A scenario's chart has two panels over the drill's own clock (seconds since its timeline started): p95 latency of
the background traffic, and its error rate per second. Impact windows are shaded across both panels and events are
numbered markers along the top, so labels never overlap; the page lists what each number is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from opsready.report.analysis import Window
from opsready.results import TrafficPoint
from opsready.timeline import Event

WIDTH = 760
LEFT, RIGHT = 60, 16
MARKER_GAP, ROW = 16.0, 16.0  # a marker is 14 px wide; rows of markers are this far apart
WINDOW_FILL = {"fault": "#f59e0b", "bad release": "#f59e0b", "deployment": "#3b82f6", "rollback": "#8b5cf6"}


@dataclass(frozen=True)
class Panel:
    """A plotting band: its top, its height, and the largest value its y axis shows."""

    top: float
    height: float
    y_max: float

    def y(self, value: float) -> float:
        """The SVG y of a value (0 at the bottom of the band)."""
        return self.top + self.height - self.height * min(value, self.y_max) / self.y_max


def nice_max(value: float, floor: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5 or 5 times a power of ten), at least ``floor``."""
    value = max(value, floor)
    power = 10.0 ** math.floor(math.log10(value))
    return float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value))


def _fmt(value: float) -> str:
    return f"{value:g}" if value < 10 else f"{value:.0f}"


def _x(at: float, span: float) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * max(0.0, min(at, span)) / span


def divisions(y_max: float) -> int:
    """Five grid steps when that makes round ticks (10, 20, ...), else four (25, 50, ...)."""
    step = y_max / 5
    power = 10.0 ** math.floor(math.log10(step))
    return 5 if any(math.isclose(step, m * power) for m in (1, 2, 5, 10)) else 4


def _axis(panel: Panel, unit: str, span: float) -> list[str]:
    parts = [f'<text class="axis-title" x="{LEFT}" y="{panel.top - 6:.1f}">{escape(unit)}</text>']
    steps = divisions(panel.y_max)
    for i in range(steps + 1):
        value = panel.y_max * i / steps
        y = panel.y(value)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(value)}</text>')
    return parts


def _time_axis(y: float, span: float) -> list[str]:
    step = nice_max(span / 6, 0.5)
    parts = []
    tick = 0.0
    while tick <= span + 1e-9:
        x = _x(tick, span)
        parts.append(f'<text class="tick" x="{x:.1f}" y="{y:.1f}" text-anchor="middle">{_fmt(tick)} s</text>')
        tick += step
    return parts


def _windows(spans: Sequence[Window], span: float, top: float, bottom: float) -> list[str]:
    parts = []
    for w in spans:
        x0, x1 = _x(w.start, span), _x(w.end if w.end is not None else span, span)
        fill = WINDOW_FILL.get(w.kind, "#f59e0b")
        parts.append(
            f'<rect class="window" x="{x0:.1f}" y="{top:.1f}" width="{max(x1 - x0, 1.5):.1f}" '
            f'height="{bottom - top:.1f}" fill="{fill}" fill-opacity="0.18"><title>{escape(w.label)}</title></rect>'
        )
    return parts


def marker_rows(events: Sequence[Event], span: float) -> list[int]:
    """The row of each event's numbered marker: a marker closer than its width to one in a row goes a row down.

    Events are in the order recorded, not always in time order (an observation can be marked afterwards with the
    moment it was made), so each row keeps every position placed in it.
    """
    placed: list[list[float]] = []
    rows = []
    for event in events:
        x = _x(event.at, span)
        row = next((i for i, xs in enumerate(placed) if all(abs(x - seen) >= MARKER_GAP for seen in xs)), len(placed))
        if row == len(placed):
            placed.append([])
        placed[row].append(x)
        rows.append(row)
    return rows


def _markers(events: Sequence[Event], span: float, top: float, bottom: float) -> list[str]:
    parts = []
    for number, (event, row) in enumerate(zip(events, marker_rows(events, span), strict=True), start=1):
        x, y = _x(event.at, span), top + ROW * row
        title = escape(f"{number}. {event.kind} at {event.at:.2f} s {event.detail}".strip())
        parts.append(f'<line class="event" x1="{x:.1f}" x2="{x:.1f}" y1="{y + 8:.1f}" y2="{bottom:.1f}"/>')
        parts.append(
            f'<g class="marker"><title>{title}</title><circle cx="{x:.1f}" cy="{y:.1f}" r="7"/>'
            f'<text x="{x:.1f}" y="{y + 3.5:.1f}" text-anchor="middle">{number}</text></g>'
        )
    return parts


def _latency_path(points: Sequence[TrafficPoint], panel: Panel, span: float) -> list[str]:
    segments: list[list[str]] = [[]]
    for point in points:
        if point.p95 is None:
            segments.append([])
            continue
        segments[-1].append(f"{_x(point.at + 0.5, span):.1f},{panel.y(point.p95 * 1000):.1f}")
    return [f'<polyline class="latency" points="{" ".join(s)}"/>' for s in segments if s]


def _error_bars(points: Sequence[TrafficPoint], panel: Panel, span: float) -> list[str]:
    parts = []
    width = max(1.0, _x(1.0, span) - _x(0.0, span) - 1)
    for point in points:
        if not point.requests or not point.failed:
            continue
        rate = 100.0 * point.failed / point.requests
        y = panel.y(rate)
        tip = f"{point.at:.0f} s: {point.failed} of {point.requests} failed"
        parts.append(
            f'<rect class="errors" x="{_x(point.at, span):.1f}" y="{y:.1f}" width="{width:.1f}" '
            f'height="{panel.top + panel.height - y:.1f}"><title>{escape(tip)}</title></rect>'
        )
    return parts


def _span(points: Sequence[TrafficPoint], events: Sequence[Event], spans: Sequence[Window]) -> float:
    ends = [p.at + 1.0 for p in points] + [e.at for e in events] + [w.end or w.start for w in spans]
    return nice_max(max(ends, default=1.0), 1.0)


def _svg(height: float, label: str, parts: list[str]) -> Markup:
    head = (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'role="img" aria-label="{escape(label)}">'
    )
    return Markup(head + "".join(parts) + "</svg>")  # every interpolated text went through escape()


def traffic_chart(
    points: Sequence[TrafficPoint], events: Sequence[Event], spans: Sequence[Window], label: str
) -> Markup:
    """p95 latency and error rate per second with impact windows shaded and numbered event markers."""
    span = _span(points, events, spans)
    p95s = [p.p95 * 1000 for p in points if p.p95 is not None]
    rates = [100.0 * p.failed / p.requests for p in points if p.requests]
    extra = ROW * max(marker_rows(events, span), default=0)
    latency = Panel(44 + extra, 100, nice_max(max(p95s, default=0.0), 10.0))
    errors = Panel(178 + extra, 84, nice_max(max(rates, default=0.0), 5.0))
    parts = _windows(spans, span, 20, errors.top + errors.height)
    parts += _axis(latency, "p95 latency (ms)", span) + _axis(errors, "error rate (%)", span)
    parts += _latency_path(points, latency, span) + _error_bars(points, errors, span)
    parts += _markers(events, span, 14, errors.top + errors.height)
    parts += _time_axis(errors.top + errors.height + 18, span)
    return _svg(errors.top + errors.height + 26, label, parts)


def timeline_chart(events: Sequence[Event], spans: Sequence[Window], label: str) -> Markup:
    """Events and impact windows alone, for a scenario that ran no background traffic."""
    span = _span((), events, spans)
    base = 56 + ROW * max(marker_rows(events, span), default=0)
    parts = _windows(spans, span, 20, base)
    parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base:.1f}" y2="{base:.1f}"/>')
    parts += _markers(events, span, 14, base) + _time_axis(base + 18, span)
    return _svg(base + 26, label, parts)


def trend_chart(
    values: Sequence[tuple[str, float | None]], unit: str, label: str, target: float | None = None
) -> Markup:
    """A small line chart of one value over runs (oldest left); runs without a value leave a gap."""
    width, height, left, top, plot_h = 360, 130, 44, 14, 90
    known = [v for _, v in values if v is not None]
    # the range follows the values: a 5-minute target would flatten 3-second recoveries into the axis
    y_max = 100.0 if unit == "%" else nice_max(max(known, default=0.0) * 1.15, 1.0)
    step = (width - left - 10) / max(len(values) - 1, 1)

    def y(value: float) -> float:
        return top + plot_h - plot_h * min(value, y_max) / y_max

    parts = [f'<text class="axis-title" x="{left}" y="10">{escape(unit)}</text>']
    for i in range(3):
        level = y_max * i / 2
        parts.append(f'<line class="grid" x1="{left}" x2="{width - 10}" y1="{y(level):.1f}" y2="{y(level):.1f}"/>')
        parts.append(f'<text class="tick" x="{left - 5}" y="{y(level) + 4:.1f}" text-anchor="end">{_fmt(level)}</text>')
    if target is not None and target <= y_max:
        parts.append(f'<line class="target" x1="{left}" x2="{width - 10}" y1="{y(target):.1f}" y2="{y(target):.1f}"/>')
    segments: list[list[str]] = [[]]
    for index, (run, value) in enumerate(values):
        if value is None:
            segments.append([])
            continue
        x = left + step * index if len(values) > 1 else left + (width - left - 10) / 2
        segments[-1].append(f"{x:.1f},{y(value):.1f}")
        tip = f"{run}: {_fmt(value)} {unit}"
        parts.append(
            f'<circle class="point" cx="{x:.1f}" cy="{y(value):.1f}" r="3"><title>{escape(tip)}</title></circle>'
        )
    parts[1:1] = [f'<polyline class="trend" points="{" ".join(s)}"/>' for s in segments if len(s) > 1]
    parts.append(f'<text class="tick" x="{left}" y="{height - 8}">oldest</text>')
    parts.append(f'<text class="tick" x="{width - 10}" y="{height - 8}" text-anchor="end">latest</text>')
    head = (
        f'<svg class="trend-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}">'
    )
    return Markup(head + "".join(parts) + "</svg>")  # every interpolated text went through escape()
