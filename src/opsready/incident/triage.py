"""The classifier: observations in, a severity and the evidence that decided it out; and one read-only round of
observations of a live target, every probe of the criteria at once.

Classification is a pure function of the observations, so it is tested without a target: the most severe severity
with a matching criterion wins, and the verdict keeps every match (the deciding ones first) as evidence.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from opsready.errors import OpsreadyError, UsageError
from opsready.incident.classification import Classification, Criterion
from opsready.observation import Observation
from opsready.probes.registry import ProbeCall
from opsready.severity import SeverityName
from opsready.targets.protocol import Target

UNOBSERVABLE = "unobservable"  # the value of an observation the target's platform cannot make


@dataclass(frozen=True)
class Evidence:
    """A criterion that matched, and the observation that matched it."""

    criterion: Criterion
    observation: Observation

    @property
    def severity(self) -> SeverityName:
        """The severity the criterion belongs to."""
        return self.criterion.severity

    def describe(self) -> str:
        """'critical: readiness failing; observed readiness: FAILED (ConnectError: ...)'."""
        means = f" ({self.criterion.means})" if self.criterion.means else ""
        return f"{self.severity}: {self.criterion.condition()}{means}; observed {self.observation.describe()}"


@dataclass(frozen=True)
class Verdict:
    """The outcome of classifying one round of observations."""

    severity: SeverityName | None  # None: no criterion matched, no incident
    deciding: tuple[Evidence, ...]
    matched: tuple[Evidence, ...]
    observations: tuple[Observation, ...]
    started: float = 0.0  # monotonic time the round began

    @property
    def incident(self) -> bool:
        """Whether some criterion matched."""
        return self.severity is not None

    @property
    def noticed(self) -> float:
        """When the earliest deciding observation was made (monotonic); the round's start when nothing matched."""
        return min((e.observation.at for e in self.deciding), default=self.started)

    @property
    def finished(self) -> float:
        """When the last observation of the round was made (monotonic)."""
        return max((o.at for o in self.observations), default=self.started)

    def summary(self) -> str:
        """'critical: readiness failing' / 'no incident: no criterion matched'."""
        if self.severity is None:
            return "no incident: no criterion matched"
        return f"{self.severity}: " + "; ".join(e.criterion.condition() for e in self.deciding)


def classify(classification: Classification, observations: Iterable[Observation], started: float = 0.0) -> Verdict:
    """The severity the observations put the incident in (the most severe that matches), with its evidence."""
    seen = tuple(observations)
    by_probe = {o.probe: o for o in seen}
    matched = tuple(
        Evidence(criterion, by_probe[criterion.probe.probe])
        for criterion in classification.criteria
        if criterion.probe.probe in by_probe and criterion.matches(by_probe[criterion.probe.probe])
    )
    severity = matched[0].severity if matched else None  # criteria come most severe first
    deciding = tuple(e for e in matched if e.severity == severity)
    return Verdict(severity, deciding, matched, seen, started)


def _observe_one(call: ProbeCall, target: Target) -> Observation:
    try:
        return call.run(target)
    except UsageError as exc:  # the platform cannot make this observation (no direct port): no evidence either way
        return Observation(call.probe, True, UNOBSERVABLE, "", f"not observable on this target: {exc.message}")
    except OpsreadyError as exc:  # e.g. metrics that cannot be scraped while the service is down
        return Observation(call.probe, False, None, "", f"observation failed: {exc.message}")
    except Exception as exc:  # a probe bug must not stop the monitor; the failure is itself evidence
        return Observation(call.probe, False, None, "", f"observation failed: {type(exc).__name__}: {exc}"[:300])


def observe(target: Target, calls: tuple[ProbeCall, ...]) -> tuple[Observation, ...]:
    """One read-only round: every probe at once (windowed probes take their window), in the order given."""
    if not calls:
        return ()
    with ThreadPoolExecutor(max_workers=len(calls), thread_name_prefix="incident-probe") as pool:
        return tuple(pool.map(lambda call: _observe_one(call, target), calls))


def observe_and_classify(target: Target, classification: Classification) -> Verdict:
    """Observe the live target once and classify what was seen (read-only)."""
    started = time.monotonic()
    return classify(classification, observe(target, classification.probes), started)
