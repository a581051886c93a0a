"""Latency on a target's network links for capacity drills, as a chaos fault like any other.

The target names the fault (:class:`opsready.targets.capacity.LinkLatency`); it is injected through the chaos guard
of a :class:`DrillFaults` session, so it is journaled before it is applied, watched by a dead-man watchdog that
reverts it at its time limit, reverted on every outcome of the drill and by ``opsready recover`` after a crash. On the
sandbox it is one toxic of the link's proxy, added and removed under the proxy's lock without touching the others
(a fault a chaos experiment has on the same proxy stays).
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from opsready.chaos.session import stderr_say
from opsready.config import Config
from opsready.drills.faults import DrillFaults
from opsready.targets.capacity import LatencyDirection, Link, link_latency
from opsready.targets.protocol import Target
from opsready.timeline import Timeline

EXPERIMENT = "capacity drill"
TIME_LIMIT = 600.0  # a capacity scenario runs minutes; the watchdog ends a forgotten latency after this


def fault_name(link: str) -> str:
    """The name a link's latency has in the drill's fault journal."""
    return f"{link}-latency"


class SlowLinks:
    """The link latencies of one capacity drill (a context manager: everything still applied is reverted on exit)."""

    def __init__(
        self, config: Config, target: Target, timeline: Timeline | None = None, say: Callable[[str], None] = stderr_say
    ) -> None:
        self._links = link_latency(target)
        # the drill marks its own phases: the guard's marks go to a timeline of their own
        self._faults = DrillFaults(config, target, timeline or Timeline(EXPERIMENT), EXPERIMENT, say)

    def slow(
        self, link: Link, latency_ms: int, direction: LatencyDirection = "upstream", time_limit: float = TIME_LIMIT
    ) -> str:
        """Delay data on ``link`` by ``latency_ms`` through the guard; returns the fault's id."""
        spec = self._links.latency_fault(link, latency_ms, direction, time_limit)
        return self._faults.inject(fault_name(link), spec)

    def restore(self, link: Link) -> None:
        """Remove the latency from ``link`` now (harmless when there is none)."""
        self._faults.revert(fault_name(link))

    @property
    def faults(self) -> DrillFaults:
        """The chaos session underneath (its journal, its records)."""
        return self._faults

    def close(self) -> None:
        """Revert whatever is still applied and close the journal (idempotent)."""
        self._faults.close()

    def __enter__(self) -> SlowLinks:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
