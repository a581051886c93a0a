"""The timeline of one drill: monotonic event times, and the durations derived from them.

Durations such as time to detect, time to roll back or time until healthy are always computed from recorded events,
never typed by hand, so what a report says is what was measured.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from opsready.durations import format_duration

# The event kinds drills record, in the order they usually happen.
KINDS = (
    "started",
    "deploy_started",
    "deployed",
    "injected",
    "detected",
    "classified",
    "acknowledged",
    "rollback_started",
    "rolled_back",
    "mitigated",
    "reverted",
    "recovered",
    "healthy",
    "finished",
)


@dataclass(frozen=True)
class Event:
    """One thing that happened during a drill, at ``at`` seconds after the timeline started."""

    kind: str
    at: float
    wall: str
    detail: str = ""
    source: str = "auto"


@dataclass(frozen=True)
class Measurement:
    """A duration derived from the timeline, with the target it is held against."""

    name: str
    start: str
    end: str
    seconds: float
    target: float | None = None

    @property
    def ok(self) -> bool:
        """Whether the measured duration met its target (always True when there is none)."""
        return self.target is None or self.seconds <= self.target

    def describe(self) -> str:
        """'time to roll back: 3.1 s (target 5 min 0 s) ok'."""
        target = f" (target {format_duration(self.target)})" if self.target is not None else ""
        verdict = "" if self.target is None else (" ok" if self.ok else " MISSED")
        return f"{self.name}: {format_duration(self.seconds)}{target}{verdict}"


@dataclass(frozen=True)
class TimelineRecord:
    """A finished timeline as data for reports."""

    name: str
    started_wall: str
    events: tuple[Event, ...]
    measurements: tuple[Measurement, ...]


def _wall(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Timeline:
    """Records events of one drill with monotonic times; thread-safe, so probes and traffic can mark it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._t0 = time.monotonic()
        self._wall0 = time.time()
        self._events: list[Event] = []
        self._measurements: list[Measurement] = []
        self._lock = threading.Lock()

    @property
    def t0(self) -> float:
        """The monotonic clock value at which the timeline started."""
        return self._t0

    def now(self) -> float:
        """Seconds since the timeline started."""
        return time.monotonic() - self._t0

    def mark(self, kind: str, detail: str = "", source: str = "auto", at: float | None = None) -> Event:
        """Record an event now (or at monotonic clock value ``at``, for observations made a moment ago)."""
        offset = (at - self._t0) if at is not None else self.now()
        event = Event(kind=kind, at=offset, wall=_wall(self._wall0 + offset), detail=detail, source=source)
        with self._lock:
            self._events.append(event)
        return event

    @property
    def events(self) -> tuple[Event, ...]:
        """Every event so far, in the order recorded."""
        with self._lock:
            return tuple(self._events)

    def first(self, kind: str) -> Event | None:
        """The first event of a kind, or None."""
        return next((e for e in self.events if e.kind == kind), None)

    def last(self, kind: str) -> Event | None:
        """The last event of a kind, or None."""
        return next((e for e in reversed(self.events) if e.kind == kind), None)

    def has(self, kind: str) -> bool:
        """Whether an event of this kind was recorded."""
        return self.first(kind) is not None

    def between(self, start: str, end: str) -> float | None:
        """Seconds from the first ``start`` event to the first ``end`` event after it, or None if either is missing."""
        begin = self.first(start)
        if begin is None:
            return None
        finish = next((e for e in self.events if e.kind == end and e.at >= begin.at), None)
        return None if finish is None else finish.at - begin.at

    def measure(self, name: str, start: str, end: str, target: float | None = None) -> Measurement:
        """Derive and keep the duration from ``start`` to ``end``; missing events raise ``LookupError``."""
        seconds = self.between(start, end)
        if seconds is None:
            missing = start if self.first(start) is None else end
            raise LookupError(f"timeline '{self.name}' has no '{missing}' event (recorded: {self.kinds()})")
        measurement = Measurement(name=name, start=start, end=end, seconds=seconds, target=target)
        with self._lock:
            self._measurements = [m for m in self._measurements if m.name != name] + [measurement]
        return measurement

    @property
    def measurements(self) -> tuple[Measurement, ...]:
        """Every duration derived so far."""
        with self._lock:
            return tuple(self._measurements)

    def kinds(self) -> str:
        """The recorded event kinds, comma-separated, for messages."""
        return ", ".join(e.kind for e in self.events) or "none"

    def record(self) -> TimelineRecord:
        """The timeline as immutable data."""
        return TimelineRecord(
            name=self.name, started_wall=_wall(self._wall0), events=self.events, measurements=self.measurements
        )
