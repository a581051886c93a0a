"""What a run produced, as data: the only input reports read (they never reach back into targets)."""

from __future__ import annotations

from dataclasses import dataclass, field

from opsready.target.protocol import TargetDescription
from opsready.timeline import TimelineRecord

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class TrafficPoint:
    """What users saw in one second of a drill (``at`` in seconds since the drill's timeline started)."""

    at: float
    requests: int
    failed: int
    p95: float | None  # seconds


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario (or plain test) of a drill run."""

    nodeid: str
    name: str
    feature: str
    outcome: str  # passed | failed | skipped | error
    duration: float
    runbooks: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()
    message: str = ""
    timeline: TimelineRecord | None = None
    traffic: tuple[TrafficPoint, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the scenario counts towards readiness (skips do not fail it)."""
        return self.outcome in ("passed", "skipped")


@dataclass(frozen=True)
class RunResult:
    """A whole gate or drill run."""

    started: str
    finished: str
    duration: float
    target: TargetDescription | None
    scenarios: tuple[ScenarioResult, ...]
    selection: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def verdict(self) -> str:
        """'ready' when every scenario passed and at least one ran, else 'not ready'."""
        ran = [s for s in self.scenarios if s.outcome != "skipped"]
        return "ready" if ran and all(s.ok for s in self.scenarios) else "not ready"
