"""The small expression language of thresholds and scaling triggers: ``p95 < 300ms``, ``error_rate < 1%``,
``rps > 200``, and for triggers ``cpu > 70% for 30s``.

A metric decides how its value is written: latencies take a duration with a unit, ratios a percentage, rates a plain
number (``/s`` allowed). Every mistake is a :class:`~opsready.errors.ValidationError` at the line it was written on.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from opsready.durations import format_duration, parse_duration
from opsready.errors import Loc, ValidationError
from opsready.spelling import did_you_mean
from opsready.yamlsrc import parse_percent

LATENCY, RATIO, RATE, COUNT = "latency", "ratio", "rate", "count"
METRICS: dict[str, str] = {
    "p50": LATENCY,
    "p75": LATENCY,
    "p90": LATENCY,
    "p95": LATENCY,
    "p99": LATENCY,
    "p99.9": LATENCY,
    "avg": LATENCY,
    "max": LATENCY,
    "error_rate": RATIO,
    "rps": RATE,
    "requests": COUNT,
    "failures": COUNT,
    # scaling triggers only: measured on the target rather than on the load
    "cpu": RATIO,
    "rps_per_unit": RATE,
}
TRIGGER_ONLY = frozenset({"cpu", "rps_per_unit"})
Comparison = Literal["<", "<=", ">", ">="]
OPS: dict[Comparison, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_SHAPE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(<=|>=|<|>|==|=|!=)\s*(.+?)(?:\s+for\s+(.+?))?\s*$")
_EXAMPLE = "write e.g. 'p95 < 300ms', 'error_rate < 1%' or 'rps > 200'"


@dataclass(frozen=True)
class Expression:
    """``metric op value`` (and how long it must hold, for triggers); ``value`` in seconds, fraction or per second."""

    metric: str
    op: Comparison
    value: float
    text: str
    loc: Loc
    hold: float | None = None

    @property
    def kind(self) -> str:
        """latency, ratio, rate or count."""
        return METRICS[self.metric]

    @property
    def upper(self) -> bool:
        """Whether this is an upper bound (``<``, ``<=``)."""
        return self.op in ("<", "<=")

    def holds(self, measured: float) -> bool:
        """Whether a measured value satisfies the expression."""
        return OPS[self.op](measured, self.value)

    def __str__(self) -> str:
        return self.text


def format_value(kind: str, value: float | None) -> str:
    """A measured value of a metric kind, for messages and reports."""
    if value is None:
        return "no data"
    if kind == LATENCY:
        return f"{value * 1000:.0f} ms" if value < 10 else format_duration(value)
    if kind == RATIO:
        return f"{value * 100:.2f} %"
    if kind == RATE:
        return f"{value:.1f}/s"
    return f"{value:.0f}"


def _value(kind: str, text: str, loc: Loc) -> float:
    if kind == LATENCY:
        if re.fullmatch(r"[\d.]+", text):
            raise ValidationError(f"a latency needs a unit: '{text}ms' or '{text}s'?", loc)
        return parse_duration(text, loc)
    if kind == RATIO:
        if not text.endswith("%"):
            raise ValidationError(f"a ratio is written as a percentage, like '1%'; got '{text}'", loc)
        return parse_percent(text, loc)
    raw = text.removesuffix("/s").strip() if kind == RATE else text
    try:
        number = float(raw)
    except ValueError:
        unit = "requests per second, like '200' or '200/s'" if kind == RATE else "a whole number"
        raise ValidationError(f"expected {unit}; got '{text}'", loc) from None
    if number < 0:
        raise ValidationError(f"a {kind} cannot be negative: '{text}'", loc)
    return number


def parse_expression(text: object, loc: Loc, *, triggers: bool = False) -> Expression:
    """Parse one threshold (or, with ``triggers``, one scaling trigger with an optional ``for <duration>``)."""
    if not isinstance(text, str):
        raise ValidationError(f"a threshold is a string like 'p95 < 300ms'; got {text!r}", loc)
    match = _SHAPE.match(text)
    if match is None:
        raise ValidationError(f"cannot read '{text}': {_EXAMPLE}", loc)
    metric, op, raw, hold_text = match.groups()
    allowed = tuple(METRICS) if triggers else tuple(m for m in METRICS if m not in TRIGGER_ONLY)
    if metric not in allowed:
        where = "" if triggers or metric not in TRIGGER_ONLY else " (only scaling triggers measure it)"
        raise ValidationError(
            f"unknown metric '{metric}'{where}{did_you_mean(metric, allowed)}; known: {', '.join(allowed)}", loc
        )
    comparison = next((known for known in OPS if known == op), None)
    if comparison is None:
        raise ValidationError(f"unknown comparison '{op}' in '{text}': use <, <=, > or >=", loc)
    hold = None
    if hold_text is not None:
        if not triggers:
            raise ValidationError(f"'for {hold_text}' belongs to scaling triggers, not thresholds", loc)
        hold = parse_duration(hold_text, loc)
    value = _value(METRICS[metric], raw.strip(), loc)
    return Expression(metric=metric, op=comparison, value=value, text=text.strip(), loc=loc, hold=hold)
