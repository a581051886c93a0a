"""What a classification criterion can say about a probe: which probes measure a value, in which unit, and which
way is worse; and the ranges (intervals) criteria draw over those values.

Probes not listed in :data:`MEASURES` answer only pass/fail, so criteria on them say ``failing: true``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from opsready.durations import format_duration
from opsready.observation import Observation

MeasureKind = Literal["percent", "duration"]
PERCENT: MeasureKind = "percent"
DURATION: MeasureKind = "duration"
Worse = Literal["higher", "lower"]
HIGHER: Worse = "higher"
LOWER: Worse = "lower"


@dataclass(frozen=True)
class Measure:
    """A probe that measures a value: its kind, the factor from the observation's unit to the canonical one
    (fraction or seconds), and whether a higher or a lower value is worse."""

    probe: str
    kind: MeasureKind
    scale: float
    worse: Worse = HIGHER

    def value(self, observation: Observation) -> float | None:
        """The observation's value in canonical units (None when the probe measured nothing)."""
        value = observation.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value) * self.scale

    def show(self, value: float) -> str:
        """A canonical value as people read it: '5%', '300 ms'."""
        return f"{value * 100:.3g}%" if self.kind == PERCENT else format_duration(value)


MEASURES: dict[str, Measure] = {
    m.probe: m
    for m in (
        Measure("error_rate", PERCENT, 0.01),
        Measure("latency", DURATION, 0.001),
        Measure("response_time", DURATION, 0.001),
        Measure("backlog", DURATION, 1.0),
        Measure("disk", PERCENT, 0.01),
        Measure("cpu_pressure", PERCENT, 0.01),
        Measure("memory_available", PERCENT, 0.01, LOWER),
        Measure("serving_instances", PERCENT, 0.01, LOWER),
    )
}


@dataclass(frozen=True)
class Interval:
    """A range of values, each end open or closed; infinite ends are open."""

    low: float = -math.inf
    low_closed: bool = False
    high: float = math.inf
    high_closed: bool = False

    def __contains__(self, value: float) -> bool:
        above = value >= self.low if self.low_closed else value > self.low
        below = value <= self.high if self.high_closed else value < self.high
        return above and below

    @property
    def empty(self) -> bool:
        """Whether no value lies in it."""
        return self.low > self.high or (self.low == self.high and not (self.low_closed and self.high_closed))

    def overlaps(self, other: Interval) -> bool:
        """Whether some value lies in both."""
        if self.low != other.low:
            low, low_closed = max((self.low, self.low_closed), (other.low, other.low_closed))
        else:
            low, low_closed = self.low, self.low_closed and other.low_closed
        if self.high != other.high:
            high, high_closed = min((self.high, self.high_closed), (other.high, other.high_closed))
        else:
            high, high_closed = self.high, self.high_closed and other.high_closed
        return not Interval(low, low_closed, high, high_closed).empty

    def describe(self, measure: Measure) -> str:
        """'above 5%', 'above 300 ms up to 1.0 s', 'below 10%'."""
        parts = []
        if self.low != -math.inf:
            parts.append(f"{'at least' if self.low_closed else 'above'} {measure.show(self.low)}")
        if self.high != math.inf:
            word = "up to" if self.high_closed else "below"
            parts.append(f"{word} {measure.show(self.high)}")
        return " ".join(parts) or "any value"
