"""Detection with a baseline: a fault's detection probe must pass before the fault, and may judge relative to it.

A ``detect`` probe of an experiment belongs to the fault injected before it in the method. Immediately before that
fault is injected, each of its detection probes is observed once, the *baseline*:

- an absolute detection (the probe's own threshold: ``readiness``, ``response_time`` with ``max: 400ms``) needs the
  probe to pass then: a probe that already fails would "detect" the fault in 0 s whatever the fault does;
- a relative detection (``rises_by: 30 points``, ``falls_by: 5 points``, ``rises_by: 200ms``) needs a measured
  value with room for the change (a share of 85 % cannot rise by 30 points); the fault is then detected when the
  probe's value has moved that far from the baseline, whatever the probe's own threshold says.

A baseline that fails refuses the injection: nothing is injected and nothing is journaled as injected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from opsready.errors import Loc, UsageError, ValidationError
from opsready.observation import Observation
from opsready.probes.registry import ProbeCall
from opsready.yamlsrc import MapReader

Direction = Literal["rises", "falls"]
KEYS = {"rises_by": "rises", "falls_by": "falls"}
# the unit of the value each probe measures, and how a change of it is written
MEASURES = {
    "cpu_pressure": "points",
    "memory_available": "points",
    "disk": "points",
    "error_rate": "points",
    "latency": "ms",
    "response_time": "ms",
}
_POINTS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*points?\s*$")


class BaselineFailed(UsageError):
    """A fault's detection probe already indicates the fault (or cannot measure) before it is injected."""


@dataclass(frozen=True)
class Change:
    """How far a probe's value must move from its baseline to detect the fault, in the probe's unit."""

    direction: Direction
    amount: float
    unit: str  # 'points' (of a percentage) or 'ms'

    def describe(self) -> str:
        """'rises by 30 points'."""
        return f"{self.direction} by {self.amount:g} {self.unit}"

    def room(self, base: float) -> bool:
        """Whether a value can still move that far from ``base`` (a share stays within 0..100 %)."""
        if self.unit != "points":
            return self.direction == "rises" or base - self.amount >= 0
        return base + self.amount <= 100 if self.direction == "rises" else base - self.amount >= 0

    def reached(self, base: float, value: float) -> bool:
        """Whether ``value`` has moved far enough from ``base``."""
        return value >= base + self.amount if self.direction == "rises" else value <= base - self.amount


def parse_change(r: MapReader, probe: str) -> Change | None:
    """``rises_by`` or ``falls_by`` of a ``detect``'s arguments (at most one), checked against what the probe
    measures; None when the detection is absolute."""
    given = [key for key in KEYS if r.has(key)]
    if not given:
        return None
    if len(given) > 1:
        raise ValidationError("give either 'rises_by' or 'falls_by', not both", r.loc_of(given[1]))
    key = given[0]
    unit = MEASURES.get(probe)
    if unit is None:
        known = ", ".join(MEASURES)
        raise ValidationError(
            f"'{key}': probe '{probe}' measures no value to compare with a baseline (probes that do: {known})",
            r.loc_of(key),
        )
    if unit == "ms":
        amount = r.duration(key) * 1000
    else:
        raw = r.raw(key)
        match = _POINTS.match(str(raw)) if not isinstance(raw, bool) else None
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            amount = float(raw)
        elif match is not None:
            amount = float(match.group(1))
        else:
            raise ValidationError(
                f"'{key}' of probe '{probe}' is in percentage points, like '30 points', got {raw!r}", r.loc_of(key)
            )
    if amount <= 0:
        raise ValidationError(f"'{key}' must be more than 0 {unit}", r.loc_of(key))
    return Change(KEYS[key], amount, unit)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Detection:
    """A ``detect`` probe of an experiment: the fault it detects (the one injected before it), the probe, and its
    relative change (None: the probe's own threshold)."""

    fault: str
    probe: ProbeCall
    change: Change | None
    loc: Loc

    def same(self, probe: ProbeCall, change: Change | None) -> bool:
        """Whether a ``detect`` call at run time is this one (same probe, arguments and change)."""
        return (self.probe.probe, self.probe.kwargs, self.change) == (probe.probe, probe.kwargs, change)

    def describe(self) -> str:
        """'cpu_pressure rises by 30 points' or 'readiness fails'."""
        return f"{self.probe.probe} {self.change.describe() if self.change else 'fails'}"


def check_baseline(detection: Detection, observation: Observation) -> str:
    """Why this baseline does not allow the fault to be injected ('' when it does)."""
    if detection.change is None:
        if observation.ok:
            return ""
        return f"its detection probe already fails before the fault ({observation.describe()})"
    if observation.value is None:
        return f"its detection probe measured no value before the fault ({observation.describe()})"
    if not detection.change.room(float(observation.value)):
        return (
            f"the baseline {observation.value:g}{observation.unit} leaves no room for the value to "
            f"{detection.change.describe()} ({observation.describe()})"
        )
    return ""


def detected(detection: Detection, baseline: Observation | None, observation: Observation) -> bool:
    """Whether ``observation`` shows the fault: the probe fails (absolute), or its value moved far enough from the
    baseline (relative; a probe that could not measure shows nothing)."""
    if detection.change is None:
        return not observation.ok
    if baseline is None or baseline.value is None or observation.value is None:
        return False
    return detection.change.reached(float(baseline.value), float(observation.value))


def baseline_note(detection: Detection, baseline: Observation | None) -> str:
    """What a relative detection compares with, for messages."""
    if detection.change is None or baseline is None or baseline.value is None:
        return ""
    return f" (baseline {baseline.value:g}{baseline.unit}, detected when it {detection.change.describe()})"
