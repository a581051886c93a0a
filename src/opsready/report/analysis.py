"""What a scenario's timeline says besides its measurements: impact windows, TTD/TTA/TTR, the deployments it made.

Everything here is derived from recorded events; nothing is estimated. A quantity whose events are missing is
``None`` ("no data"), never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from opsready.results import ScenarioResult
from opsready.timeline import Event, Measurement, TimelineRecord

WindowKind = Literal["fault", "bad release", "deployment", "rollback"]
KeyLabel = Literal["TTD", "TTA", "TTR"]


@dataclass(frozen=True)
class Window:
    """A stretch of a drill when users could be hurt: a fault (injected..recovered) or a release (deploy..healthy)."""

    kind: WindowKind
    start: float
    end: float | None  # None: still open when the timeline ended
    label: str


@dataclass(frozen=True)
class KeyDuration:
    """TTD, TTA or TTR of a scenario: the drill's own measurement when it made one, else derived from its events."""

    label: KeyLabel
    name: str  # time to detect | time to acknowledge | time to recover
    seconds: float | None
    target: float | None = None
    start: str = ""
    end: str = ""

    @property
    def ok(self) -> bool | None:
        """Met its target (None when there is no value or no target)."""
        if self.seconds is None or self.target is None:
            return None
        return self.seconds <= self.target


@dataclass(frozen=True)
class Deployment:
    """One deployment a scenario made (a ``deploy_started`` event) and how it ended."""

    version: str
    succeeded: bool
    training: bool


def _first(events: tuple[Event, ...], kinds: tuple[str, ...], after: float = float("-inf")) -> Event | None:
    return next((e for e in events if e.kind in kinds and e.at >= after), None)


def between(record: TimelineRecord, start: tuple[str, ...], end: tuple[str, ...]) -> tuple[float, Event, Event] | None:
    """Seconds from the first ``start`` event to the first ``end`` event after it, with both events."""
    begin = _first(record.events, start)
    if begin is None:
        return None
    finish = _first(record.events, end, begin.at)
    return None if finish is None else (finish.at - begin.at, begin, finish)


def _fault_windows(events: tuple[Event, ...]) -> list[Window]:
    found: list[Window] = []
    for event in events:
        if event.kind != "injected" or any(w.start <= event.at and (w.end is None or event.at <= w.end) for w in found):
            continue  # a second fault while one is open widens nothing: the open window already covers it
        recovered = _first(events, ("recovered",), event.at)
        reverted = _first(events, ("reverted",), event.at)
        name = event.detail.split(":", 1)[0].strip() or "fault"
        if recovered is not None:
            found.append(Window("fault", event.at, recovered.at, f"{name}: injected to recovered"))
        elif reverted is not None:
            found.append(Window("fault", event.at, reverted.at, f"{name}: injected to reverted (no recovery seen)"))
        else:
            found.append(Window("fault", event.at, None, f"{name}: injected, never recovered"))
    return found


def _segments(events: tuple[Event, ...]) -> list[tuple[Event, tuple[Event, ...]]]:
    """Each ``deploy_started`` with the events that follow it up to the next one."""
    starts = [i for i, e in enumerate(events) if e.kind == "deploy_started"]
    ends = [*starts[1:], len(events)]
    return [(events[i], events[i + 1 : end]) for i, end in zip(starts, ends, strict=False)]


def _automatic_rollback(segment: tuple[Event, ...]) -> Event | None:
    return next((e for e in segment if e.kind == "rollback_started" and e.source != "manual"), None)


def _release_windows(events: tuple[Event, ...]) -> list[Window]:
    found: list[Window] = []
    for started, segment in _segments(events):
        version = _version(started, segment)
        rollback = _automatic_rollback(segment)
        if rollback is not None:
            healthy = _first(segment, ("healthy",), rollback.at)
            end = healthy.at if healthy is not None else None
            found.append(Window("bad release", started.at, end, f"bad release {version}: deployed to healthy"))
            continue
        deployed = _first(segment, ("deployed",))
        end = deployed.at if deployed is not None else None
        found.append(Window("deployment", started.at, end, f"deployment of {version}"))
    manual = [e for e in events if e.kind == "rollback_started" and e.source == "manual"]
    for event in manual:
        healthy = _first(events, ("healthy",), event.at)
        found.append(Window("rollback", event.at, healthy.at if healthy else None, "manual rollback to healthy"))
    return found


def windows(record: TimelineRecord | None) -> tuple[Window, ...]:
    """Fault windows (injected..recovered) and release windows (deploy_started..healthy or ..deployed), by start."""
    if record is None:
        return ()
    found = _fault_windows(record.events) + _release_windows(record.events)
    return tuple(sorted(found, key=lambda w: w.start))


def _measured(record: TimelineRecord, name: str) -> Measurement | None:
    return next((m for m in record.measurements if m.name == name), None)


_DERIVED = {
    "time to detect": (("injected", "deployed"), ("detected",)),
    "time to acknowledge": (("detected",), ("acknowledged",)),
    "time to recover": (("injected", "deployed"), ("recovered", "healthy")),
}
_LABELS: tuple[tuple[KeyLabel, str], ...] = (
    ("TTD", "time to detect"),
    ("TTA", "time to acknowledge"),
    ("TTR", "time to recover"),
)


def key_durations(record: TimelineRecord | None) -> tuple[KeyDuration, ...]:
    """TTD, TTA and TTR: the measurement of that name, else the span between the usual events, else no data."""
    found = []
    for label, name in _LABELS:
        measured = _measured(record, name) if record is not None else None
        if measured is not None:
            found.append(KeyDuration(label, name, measured.seconds, measured.target, measured.start, measured.end))
            continue
        span = between(record, *_DERIVED[name]) if record is not None else None
        if span is None:
            found.append(KeyDuration(label, name, None))
        else:
            found.append(KeyDuration(label, name, span[0], None, span[1].kind, span[2].kind))
    return tuple(found)


def _version(started: Event, segment: tuple[Event, ...]) -> str:
    deployed = _first(segment, ("deployed",))
    if deployed is not None and deployed.detail:
        return deployed.detail.strip()
    # the procedures write 'previous -> version' on deploy_started
    return started.detail.rsplit("->", 1)[-1].strip() or "unknown"


def deployments(record: TimelineRecord | None, training: tuple[str, ...] = ()) -> tuple[Deployment, ...]:
    """Every deployment in the timeline: succeeded when it went live and no automatic rollback followed it."""
    if record is None:
        return ()
    found = []
    for started, segment in _segments(record.events):
        version = _version(started, segment)
        live = _first(segment, ("deployed",)) is not None
        found.append(Deployment(version, live and _automatic_rollback(segment) is None, version in training))
    return tuple(found)


def subject(scenario: ScenarioResult) -> str:
    """What a trend groups runs by: the fault a scenario injected, else the scenario itself."""
    record = scenario.timeline
    injected = _first(record.events, ("injected",)) if record is not None else None
    if injected is not None and injected.detail.split(":", 1)[0].strip():
        return f"fault {injected.detail.split(':', 1)[0].strip()}"
    return scenario.name
