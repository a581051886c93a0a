"""The threshold and trigger expression language: what it accepts, and the line it names when it does not."""

from __future__ import annotations

import pytest

from opsready.capacity.expressions import format_value, parse_expression
from opsready.errors import Loc, ValidationError

LOC = Loc("capacity.yaml", 7)


@pytest.mark.parametrize(
    ("text", "metric", "op", "value"),
    [
        ("p95 < 300ms", "p95", "<", 0.3),
        ("p99 <= 1.5s", "p99", "<=", 1.5),
        ("p99.9 < 2 seconds", "p99.9", "<", 2.0),
        ("error_rate < 1%", "error_rate", "<", 0.01),
        ("rps > 200", "rps", ">", 200.0),
        ("rps >= 12.5/s", "rps", ">=", 12.5),
        ("  avg<80ms  ", "avg", "<", 0.08),
        ("failures < 1", "failures", "<", 1.0),
    ],
)
def test_thresholds_people_write(text: str, metric: str, op: str, value: float) -> None:
    """Each metric reads its value in its own unit: durations, percentages, rates, counts."""
    expr = parse_expression(text, LOC)
    assert (expr.metric, expr.op, expr.hold) == (metric, op, None)
    assert expr.value == pytest.approx(value)
    assert expr.text == text.strip() and expr.loc == LOC


def test_bounds_hold_as_written() -> None:
    """Strict and non-strict comparisons; upper and lower bounds."""
    below = parse_expression("p95 < 300ms", LOC)
    assert below.upper and below.holds(0.299) and not below.holds(0.3)
    at_least = parse_expression("rps >= 10", LOC)
    assert not at_least.upper and at_least.holds(10.0) and not at_least.holds(9.99)


def test_triggers_say_how_long_they_must_hold() -> None:
    """'for <duration>' and the trigger-only metrics are accepted for scaling triggers."""
    expr = parse_expression("cpu > 70% for 30s", LOC, triggers=True)
    assert (expr.metric, expr.value, expr.hold) == ("cpu", pytest.approx(0.7), 30.0)
    assert parse_expression("rps_per_unit < 4 for 1 minute", LOC, triggers=True).hold == 60.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("p95 < 300", "a latency needs a unit"),
        ("error_rate < 0.01", "written as a percentage"),
        ("rps > lots", "expected requests per second"),
        ("p59 < 300ms", "unknown metric 'p59'"),
        ("latency < 300ms", "unknown metric 'latency'"),
        ("p95 == 300ms", "unknown comparison '=='"),
        ("p95 < 300 parsecs", "unknown unit 'parsecs'"),
        ("p95 < 300ms for 10s", "belongs to scaling triggers"),
        ("cpu > 70%", "only scaling triggers measure it"),
        ("the service is fast", "cannot read"),
        ("rps > -3", "cannot be negative"),
    ],
)
def test_mistakes_name_the_line(text: str, message: str) -> None:
    """A malformed threshold is a ValidationError at the line it was written on."""
    with pytest.raises(ValidationError) as caught:
        parse_expression(text, LOC)
    assert message in caught.value.message
    assert caught.value.loc == LOC


def test_non_string_is_refused() -> None:
    """A number or mapping where an expression belongs."""
    with pytest.raises(ValidationError, match="a threshold is a string"):
        parse_expression(300, LOC)


def test_misspelt_metric_gets_a_suggestion() -> None:
    """Close misspellings are answered with the right name."""
    with pytest.raises(ValidationError, match="did you mean 'error_rate'"):
        parse_expression("eror_rate < 1%", LOC)


def test_values_are_shown_in_their_unit() -> None:
    """Messages show latency in ms, ratios in %, rates per second."""
    assert format_value("latency", 0.8123) == "812 ms"
    assert format_value("ratio", 0.004) == "0.40 %"
    assert format_value("rate", 212.49) == "212.5/s"
    assert format_value("count", 3.0) == "3"
    assert format_value("latency", None) == "no data"
