"""Optional capacity protocols of a target: resource use of its processes, scaling its serving units, and the fault
that adds latency on a link (slow clients, a distant database) for capacity drills.

They are optional because not every platform can do all of it: code that needs one asks with :func:`observable`,
:func:`scalable` or :func:`link_latency`, which name what is missing instead of failing with an AttributeError.
A *unit* is what a platform scales the service by: a gunicorn worker on the sandbox, a pod replica on Kubernetes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, get_args, runtime_checkable

from opsready.errors import UsageError
from opsready.targets.faults import FaultSpec

# the network links a capacity drill can slow: users to the service, the service to its database
Link = Literal["users", "database"]
LINKS: tuple[Link, ...] = get_args(Link)
# which way the delay applies: requests, responses, or both
LatencyDirection = Literal["upstream", "downstream", "both"]


@dataclass(frozen=True)
class ComponentUsage:
    """Resource use of one component (all of its processes) at one moment."""

    name: str
    processes: int
    cpu_seconds: float  # user + system since start, including reaped children: a counter
    rss_bytes: int
    connections: int  # established TCP connections


@dataclass(frozen=True)
class ResourceSnapshot:
    """Resource use of every component of the target at one moment (``at`` on the monotonic clock)."""

    at: float
    components: tuple[ComponentUsage, ...]
    service: str  # the component that serves users and is scaled by units
    units: int

    def component(self, name: str) -> ComponentUsage:
        """One component by name; a :class:`UsageError` lists the known ones."""
        for usage in self.components:
            if usage.name == name:
                return usage
        raise UsageError(f"no component '{name}' (have: {', '.join(c.name for c in self.components)})")

    @property
    def cpu_seconds(self) -> float:
        """CPU seconds of every component together."""
        return sum(c.cpu_seconds for c in self.components)

    @property
    def rss_bytes(self) -> int:
        """Resident memory of every component together."""
        return sum(c.rss_bytes for c in self.components)

    @property
    def connections(self) -> int:
        """Established TCP connections of every component together."""
        return sum(c.connections for c in self.components)


@dataclass(frozen=True)
class ResourceUse:
    """Resource use between two snapshots: CPU as cores busy on average, memory and connections at the end."""

    seconds: float
    cpu_cores: float
    service_cpu_cores: float
    service_cpu_per_unit: float  # average utilisation of one unit (1.0 = one core busy), like an HPA's CPU target
    rss_bytes: int
    service_rss_bytes: int
    connections: int
    units: int


def resource_use(before: ResourceSnapshot, after: ResourceSnapshot) -> ResourceUse:
    """What the target used between two snapshots (counters that went backwards, after a restart, count as 0)."""
    seconds = max(after.at - before.at, 1e-9)
    service_before = _cpu_of(before, after.service)
    service_after = after.component(after.service).cpu_seconds
    service_cores = max(0.0, service_after - service_before) / seconds
    units = max(1, after.units)
    return ResourceUse(
        seconds=seconds,
        cpu_cores=max(0.0, after.cpu_seconds - before.cpu_seconds) / seconds,
        service_cpu_cores=service_cores,
        service_cpu_per_unit=service_cores / units,
        rss_bytes=after.rss_bytes,
        service_rss_bytes=after.component(after.service).rss_bytes,
        connections=after.connections,
        units=after.units,
    )


def _cpu_of(snapshot: ResourceSnapshot, name: str) -> float:
    return next((c.cpu_seconds for c in snapshot.components if c.name == name), 0.0)


@runtime_checkable
class ResourceObservable(Protocol):
    """A target whose processes' resource use can be read."""

    def resource_usage(self) -> ResourceSnapshot:
        """CPU seconds, memory and connections of every component now (read-only)."""
        ...


@runtime_checkable
class Scalable(Protocol):
    """A target whose service can be scaled out and in by units at runtime."""

    def capacity_units(self) -> int:
        """How many units serve users now."""
        ...

    def scale(self, units: int, timeout: float = 30.0) -> int:
        """Run exactly ``units`` units; returns once they serve (the count reached)."""
        ...


@runtime_checkable
class LinkLatency(Protocol):
    """A target that names the fault which adds latency on a network link, for capacity drills: the drill injects it
    through the chaos guard (journaled, watched by a dead-man watchdog, reverted on every outcome and by
    ``opsready recover``), so it changes nothing else on the link and is never left behind."""

    def latency_fault(
        self, link: Link, latency_ms: int, direction: LatencyDirection = "upstream", time_limit: float = 600.0
    ) -> FaultSpec:
        """The fault that delays data on ``link`` by ``latency_ms`` for at most ``time_limit`` seconds."""
        ...


def _missing(target: object, what: str, protocol: str) -> UsageError:
    platform = getattr(target, "platform", type(target).__name__)
    return UsageError(f"{what} is not supported on platform '{platform}' (it does not implement {protocol})")


def observable(target: object) -> ResourceObservable:
    """``target`` as :class:`ResourceObservable`, or a :class:`UsageError` naming what the platform lacks."""
    if not isinstance(target, ResourceObservable):
        raise _missing(target, "reading resource use", "ResourceObservable")
    return target


def scalable(target: object) -> Scalable:
    """``target`` as :class:`Scalable`, or a :class:`UsageError` naming what the platform lacks."""
    if not isinstance(target, Scalable):
        raise _missing(target, "scaling", "Scalable")
    return target


def link_latency(target: object) -> LinkLatency:
    """``target`` as :class:`LinkLatency`, or a :class:`UsageError` naming what the platform lacks."""
    if not isinstance(target, LinkLatency):
        raise _missing(target, "adding link latency", "LinkLatency")
    return target
