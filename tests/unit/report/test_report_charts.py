"""SVG charts: round axes, markers that never overlap, escaped text, gaps where a value is missing."""

from __future__ import annotations

import re

import pytest

from opsready.report.analysis import Window
from opsready.report.charts import divisions, marker_rows, nice_max, timeline_chart, traffic_chart, trend_chart
from opsready.results import TrafficPoint
from opsready.timeline import Event


@pytest.mark.parametrize(
    ("value", "floor", "expected"),
    [(0.0, 10.0, 10.0), (13.0, 10.0, 20.0), (21.0, 1.0, 25.0), (430.0, 10.0, 500.0), (0.3, 0.1, 0.5), (100.0, 5, 100)],
)
def test_axis_maxima_are_round(value: float, floor: float, expected: float) -> None:
    """1, 2, 2.5 or 5 times a power of ten, at least the floor."""
    assert nice_max(value, floor) == pytest.approx(expected)


@pytest.mark.parametrize(("y_max", "steps"), [(50.0, 5), (5.0, 5), (20.0, 4), (25.0, 5), (200.0, 4), (2.5, 5)])
def test_grid_steps_are_round(y_max: float, steps: int) -> None:
    """50 -> 10s, 20 -> 5s, 200 -> 50s: never ticks like 12.5."""
    assert divisions(y_max) == steps


def test_close_markers_go_to_another_row_even_when_recorded_late() -> None:
    """Events 0.1 s apart stack; an event marked afterwards for an earlier moment still avoids the markers there."""
    events = [Event("a", 3.0, "w"), Event("b", 3.05, "w"), Event("c", 8.0, "w"), Event("late", 3.1, "w")]
    assert marker_rows(events, 10.0) == [0, 1, 0, 2]


def test_text_in_svg_is_escaped() -> None:
    """Event details and window labels end up in <title> elements, escaped."""
    events = [Event("detected", 1.0, "w", "</title><script>alert(1)</script>")]
    spans = [Window("fault", 0.5, 2.0, 'kill "api" <now>')]
    svg = str(traffic_chart([TrafficPoint(0.0, 10, 1, 0.02)], events, spans, "a <b> chart"))
    assert "<script" not in svg
    assert "&lt;/title&gt;&lt;script&gt;" in svg and "kill &#34;api&#34; &lt;now&gt;" in svg
    assert 'aria-label="a &lt;b&gt; chart"' in svg
    assert "<script" not in str(timeline_chart(events, spans, "t"))


def test_latency_breaks_where_no_request_succeeded() -> None:
    """A second without a p95 (every request failed) splits the latency line in two."""
    points = [TrafficPoint(float(t), 10, 10 if t == 2 else 0, None if t == 2 else 0.02) for t in range(5)]
    svg = str(traffic_chart(points, [], [], "c"))
    assert svg.count('<polyline class="latency"') == 2
    assert len(re.findall(r'<rect class="errors"', svg)) == 1


def test_trend_gaps_and_target_line() -> None:
    """Runs without a value leave a gap; the target is drawn when it lies within the values' range."""
    svg = str(trend_chart([("r1", 2.0), ("r2", None), ("r3", 3.0), ("r4", 2.5)], "s", "t", target=3.2))
    assert svg.count('<circle class="point"') == 3
    assert svg.count('<polyline class="trend"') == 1  # r3-r4; r1 stands alone
    assert 'class="target"' in svg
    assert 'class="target"' not in str(trend_chart([("r1", 2.0)], "s", "t", target=300.0))
