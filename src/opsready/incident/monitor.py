"""The drill's monitor: rounds of observations about once a second, until an incident is detected, classified, or
gone again.

Every loop is bounded by a time limit. Times come from the observations themselves: an incident is *detected* when
the first observation that matched a criterion was made, and *recovered* when the monitor first saw a round with no
criterion matching (followed by enough clean rounds to trust it).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from opsready.errors import TargetError
from opsready.incident.classification import Classification
from opsready.incident.triage import Verdict, classify, observe
from opsready.severity import SEVERITIES
from opsready.targets.protocol import Target

Say = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


class NotDetected(TargetError):
    """The monitor saw no incident within the time allowed."""


class NotRecovered(TargetError):
    """The target did not return to steady state within the time allowed."""


def worst(verdicts: tuple[Verdict, ...]) -> Verdict:
    """The most severe verdict (the earliest of equally severe ones)."""
    ranked = [v for v in verdicts if v.severity is not None]
    if not ranked:
        return verdicts[0]
    return min(ranked, key=lambda v: SEVERITIES.index(v.severity or "low"))


@dataclass(frozen=True)
class Detection:
    """The rounds that detected an incident and those that assessed it; the worst of them classifies it."""

    confirming: tuple[Verdict, ...]
    assessing: tuple[Verdict, ...]
    rounds: int

    @property
    def detected_at(self) -> float:
        """When the incident was confirmed: the first matching observation of the last confirming round."""
        return self.confirming[-1].noticed

    @property
    def verdict(self) -> Verdict:
        """The classification: the worst verdict of the detection and assessment rounds."""
        return worst(self.confirming + self.assessing)


@dataclass(frozen=True)
class Recovery:
    """The clean rounds that showed the incident over."""

    clean: tuple[Verdict, ...]
    rounds: int

    @property
    def recovered_at(self) -> float:
        """When the monitor first saw a round without any criterion matching."""
        return self.clean[0].finished


class Monitor:
    """Observe one target with one classification, a round at a time."""

    def __init__(self, target: Target, classification: Classification, say: Say = _quiet) -> None:
        self.target = target
        self.classification = classification
        self.settings = classification.monitor
        self.say = say
        self.calls = classification.probes
        self._epoch: float | None = None

    def round(self) -> Verdict:
        """One round of observations, classified (read-only); the first round sets the monitor's cadence."""
        started = time.monotonic()
        if self._epoch is None:
            self._epoch = started
        return classify(self.classification, observe(self.target, self.calls), started)

    def _tick(self) -> None:
        # rounds start on a fixed cadence set by the first round, like a monitor that runs all the time: a fault
        # lands at a random moment between two rounds, and detection pays for that, as it would in production
        if self._epoch is None:
            return
        interval = self.settings.interval
        now = time.monotonic()
        time.sleep(max(0.0, self._epoch + math.ceil((now - self._epoch) / interval) * interval - now))

    def until_incident(self, within: float) -> Detection:
        """Rounds until a criterion holds ``confirm`` rounds in a row, then ``assess`` rounds more."""
        deadline = time.monotonic() + min(within, self.settings.give_up_after)
        streak: list[Verdict] = []
        rounds = 0
        last = "no round"
        while time.monotonic() < deadline:
            self._tick()
            verdict = self.round()
            rounds += 1
            last = verdict.summary()
            streak = [*streak, verdict] if verdict.incident else []
            if len(streak) >= self.settings.confirm:
                self.say(f"detected: {verdict.summary()}")
                assessing = []
                for _ in range(self.settings.assess):
                    self._tick()
                    assessing.append(self.round())
                    rounds += 1
                return Detection(tuple(streak), tuple(assessing), rounds)
        raise NotDetected(f"no incident detected within {within:g} s ({rounds} rounds; last: {last})")

    def until_recovered(self, within: float) -> Recovery:
        """Rounds until ``recover_after`` of them in a row match no criterion."""
        deadline = time.monotonic() + min(within, self.settings.give_up_after)
        clean: list[Verdict] = []
        rounds = 0
        last = "no round"
        while time.monotonic() < deadline:
            self._tick()
            verdict = self.round()
            rounds += 1
            last = verdict.summary()
            clean = [] if verdict.incident else [*clean, verdict]
            if len(clean) >= self.settings.recover_after:
                self.say(f"recovered: {len(clean)} clean rounds in a row")
                return Recovery(tuple(clean), rounds)
        raise NotRecovered(f"not back to steady state within {within:g} s ({rounds} rounds; last: {last})")
