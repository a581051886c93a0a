"""Optional troubleshooting protocols of a target: read-only diagnostics, and the remedies its runbooks prescribe.

A target that can be troubleshot offers ``diagnostics()`` (observations only: never changes anything) and
``remedies()`` (fixes the troubleshooting guides name that :mod:`opsready.targets.remediation` does not offer).
Probes and the troubleshooting package reach them through :func:`diagnostics_of` and :func:`remedies_of`, which
name what a platform lacks instead of failing with an AttributeError. Every result is a frozen dataclass of what
was measured.

Not every platform can observe everything: a fleet of hosts has no one direct URL or supervisor log, a single machine
has no instances on hosts of their own. What a probe needs is a :data:`Capability`; :func:`unmet` says which of a
probe's needs a target cannot meet and why, so a troubleshooting walk names a question that does not apply instead of
misdiagnosing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, get_args, runtime_checkable

from opsready.errors import UsageError
from opsready.processes import ProcessIdentity

GroupOwner = Literal["target", "protected", "none"]  # whose a process group is, by the target's own proof
PATHS = ("service", "direct")  # the service's own way to its database (through the network between), or straight
FAILURES = ("refused", "reset", "timeout", "exhausted", "error")
# What a probe may need of a target beyond the Target protocol. The first ones are DiagnosticOps' (or the orders
# service's own pages): a platform offers them unless its diagnostics say otherwise (ScopedDiagnostics). The last two
# are HostDiagnostics': offered only by a target whose diagnostics implement it.
Capability = Literal[
    "orders-api",  # the orders service's own pages and stats (/products, the order backlog)
    "service-metrics",  # one /metrics of the whole service at the public URL
    "direct-url",  # one URL of the service that bypasses the network in front of it
    "processes",  # each component's processes and their kernel states
    "exits",  # the platform's record of components that exited unexpectedly
    "database-paths",  # database round trips through the service's own path and directly
    "database-sessions",  # the database's sessions and their lock waits
    "host-load",  # CPU and memory per process group on the target's machine
    "connections",  # who holds connections to a component
    "instance-health",  # each instance's health and readiness, asked directly on its host
    "host-resources",  # load, memory and disk of each host
]
CAPABILITIES: tuple[Capability, ...] = get_args(Capability)


@dataclass(frozen=True)
class RoundTrip:
    """One fresh connection to the database and one query on it: how long each took, or how it failed."""

    path: str
    ok: bool
    connect_s: float
    query_s: float  # the median when several queries ran
    failure: str = ""  # one of FAILURES when not ok
    detail: str = ""


@dataclass(frozen=True)
class ProcessState:
    """One process of a component as the kernel sees it (state letter as in ps: R, S, D, T stopped, Z)."""

    component: str
    pid: int
    state: str
    command: str

    @property
    def frozen(self) -> bool:
        """Stopped by a signal (SIGSTOP) or a debugger: it will not run until continued."""
        return self.state in ("T", "t")


@dataclass(frozen=True)
class ExitEvent:
    """A component that exited when nobody asked it to (the platform restarted it, or gave up)."""

    component: str
    at: float  # epoch seconds
    how: str  # 'terminated by SIGKILL', 'exit status 1'


@dataclass(frozen=True)
class GroupLoad:
    """A process group on the target's host: CPU over a window, resident memory, and whether it is the target's."""

    pgid: int
    processes: int
    cpu_cores: float  # average cores it ran on over the window
    cpu_demand: float  # average cores it wanted: ran plus waited for a CPU (a hog wants more than it gets)
    rss_bytes: int
    command: str
    own: bool  # part of the target itself


@dataclass(frozen=True)
class HostLoad:
    """Every process group on the host over one window, busiest first, with the host's size."""

    window_s: float
    cores: int
    memory_bytes: int
    groups: tuple[GroupLoad, ...]

    def foreign(self) -> tuple[GroupLoad, ...]:
        """Groups that are not part of the target."""
        return tuple(g for g in self.groups if not g.own)


@dataclass(frozen=True)
class ConnectionHolder:
    """A process group holding connections to one of the target's components."""

    pgid: int
    connections: int
    command: str
    own: bool


@dataclass(frozen=True)
class DbSession:
    """One database session (pg_stat_activity), the query text shortened."""

    pid: int
    application: str
    state: str
    wait: str  # 'Lock:relation', '' when not waiting
    blocked_by: tuple[int, ...]
    xact_age_s: float | None
    query: str


@dataclass(frozen=True)
class DbActivity:
    """What the database is doing now: its connection limit and its sessions (or why it could not be read)."""

    ok: bool
    max_connections: int
    sessions: tuple[DbSession, ...]
    detail: str = ""

    def waiting(self) -> tuple[DbSession, ...]:
        """Sessions waiting on a lock another session holds."""
        return tuple(s for s in self.sessions if s.blocked_by)

    def blockers(self) -> tuple[int, ...]:
        """Backend pids that block others, without repeats."""
        return tuple(dict.fromkeys(pid for s in self.sessions for pid in s.blocked_by))


@dataclass(frozen=True)
class ProcessGroup:
    """A process group a remedy might stop, as the target's own ownership proof sees it: ``target`` (the target
    proves it its own, e.g. the holder of one of its faults), ``protected`` (never stopped as a culprit: the target's
    platform and components, opsready itself, another target; ``detail`` says which) or ``none`` (someone else's)."""

    pgid: int
    members: tuple[ProcessIdentity, ...]  # each live member as found: only these very processes are ever signalled
    command: str  # the leader's command line, shortened
    owner: GroupOwner
    detail: str = ""  # why it is the target's, or why it is protected
    fault_id: str = ""  # the fault its command line says it holds (a fault holder's ``--fault-id``)
    started: float = 0.0  # epoch seconds its oldest member started

    def describe(self) -> str:
        """'process group 123 (sleep 30)'."""
        return f"process group {self.pgid} ({self.command or '?'})"


@dataclass(frozen=True)
class InstanceHealth:
    """One instance asked directly on its host: health and readiness (HTTP 200 or not), version, and why not."""

    host: str
    instance: str
    url: str
    healthy: bool
    ready: bool
    version: str
    detail: str = ""

    @property
    def serving(self) -> bool:
        """Healthy and ready."""
        return self.healthy and self.ready

    def describe(self) -> str:
        """'app1 (web at http://10.0.0.2:8080): serving 2' or '... not healthy (/healthz: refused)'."""
        state = f"serving {self.version}" if self.serving else f"not {'ready' if self.healthy else 'healthy'}"
        return f"{self.host} ({self.instance} at {self.url}): {state}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class DiskUse:
    """One file system of a host: its mount's used share and free bytes, for a path on it."""

    path: str
    used_share: float
    free_bytes: int


@dataclass(frozen=True)
class HostResources:
    """A host's load, memory and disks as read on it (``reachable`` False with the reason when it could not be)."""

    host: str
    reachable: bool
    cores: int = 0
    load1: float = 0.0  # one-minute load average
    memory_total: int = 0
    memory_available: int = 0
    disks: tuple[DiskUse, ...] = ()
    detail: str = ""

    @property
    def load_per_core(self) -> float:
        """Runnable tasks per core over the last minute."""
        return self.load1 / max(1, self.cores)

    @property
    def memory_share(self) -> float:
        """Share of memory available."""
        return self.memory_available / self.memory_total if self.memory_total else 0.0


class DiagnosticOps(Protocol):
    """Read-only observations a troubleshooter needs beyond the Target protocol."""

    def direct_url(self) -> str:
        """The service's own URL, bypassing the network between users and it (the edge)."""
        ...

    def database_round_trip(self, path: str, timeout: float, payload_bytes: int = 0, queries: int = 1) -> RoundTrip:
        """Connect to the database by ``path`` (one of :data:`PATHS`) and run ``queries`` queries returning
        ``payload_bytes`` each (``query_s`` is their median)."""
        ...

    def process_states(self) -> tuple[ProcessState, ...]:
        """Every process of every component with its kernel state."""
        ...

    def recent_exits(self, window_s: float) -> tuple[ExitEvent, ...]:
        """Components that exited unexpectedly within the last ``window_s`` seconds, oldest first."""
        ...

    def host_load(self, window_s: float) -> HostLoad:
        """CPU and memory of every process group on the target's host over the next ``window_s`` seconds."""
        ...

    def connection_holders(self, component: str) -> tuple[ConnectionHolder, ...]:
        """Process groups with open TCP connections to ``component``, most connections first."""
        ...

    def database_activity(self, timeout: float) -> DbActivity:
        """The database's sessions and connection limit (a failure to connect is reported, not raised)."""
        ...

    def log_names(self) -> tuple[str, ...]:
        """The logs this target keeps (component names, and the platform's own)."""
        ...

    def log_tail(self, name: str, max_bytes: int) -> str:
        """The last ``max_bytes`` of a log, cut at a line start."""
        ...


class RemedyOps(Protocol):
    """Fixes the troubleshooting guides prescribe beyond restarting a component or resetting a link (those are
    :mod:`opsready.targets.remediation`); each one changes the target and says what it did."""

    def resume(self, component: str) -> tuple[int, ...]:
        """Continue the frozen processes of ``component`` (SIGCONT), without restarting it; returns their pids."""
        ...

    def end_blocking_sessions(self, timeout: float) -> tuple[int, ...]:
        """Terminate the database sessions that others wait for; returns their backend pids."""
        ...

    def process_group(self, pgid: int) -> ProcessGroup:
        """Who a live process group belongs to, by this target's own proof (read-only); a :class:`UsageError` when
        no such group runs."""
        ...

    def stop_group(self, group: ProcessGroup, timeout: float) -> tuple[int, ...]:
        """Stop the members of ``group`` that are still the processes found (SIGTERM, then SIGKILL); returns their
        pids. Whether the group may be stopped at all is :func:`opsready.safety.may_stop_group`'s to say."""
        ...


@runtime_checkable
class ScopedDiagnostics(Protocol):
    """Diagnostics that cannot offer every capability of :class:`DiagnosticOps` on their platform, and say why."""

    def not_applicable(self) -> tuple[tuple[Capability, str], ...]:
        """(capability, why this platform cannot offer it), for each one it lacks."""
        ...


@runtime_checkable
class HostDiagnostics(Protocol):
    """Diagnostics of a target whose instances run on hosts of their own."""

    def instance_health(self) -> tuple[InstanceHealth, ...]:
        """Each instance's health, readiness and version, asked directly on its host."""
        ...

    def host_resources(self) -> tuple[HostResources, ...]:
        """Load, memory and disks of every host, read on each (an unreachable host is reported, not raised)."""
        ...


EXTENSIONS: dict[Capability, type] = {"instance-health": HostDiagnostics, "host-resources": HostDiagnostics}
# the capabilities read through DiagnosticOps; the others (the service's own pages and metrics) go over HTTP
THROUGH_DIAGNOSTICS: frozenset[Capability] = frozenset(
    ("direct-url", "processes", "exits", "database-paths", "database-sessions", "host-load", "connections")
)


@runtime_checkable
class SupportsDiagnostics(Protocol):
    """A target that offers read-only diagnostics."""

    def diagnostics(self) -> DiagnosticOps:
        """Read-only diagnostics of this target."""
        ...


@runtime_checkable
class SupportsTroubleshooting(Protocol):
    """A target that offers diagnostics and remedies."""

    def diagnostics(self) -> DiagnosticOps:
        """Read-only diagnostics of this target."""
        ...

    def remedies(self) -> RemedyOps:
        """Remedies for this target."""
        ...


def _missing(target: object, what: str) -> UsageError:
    platform = getattr(target, "platform", type(target).__name__)
    return UsageError(f"{what} is not supported on platform '{platform}' (no SupportsTroubleshooting)")


def diagnostics_of(target: object) -> DiagnosticOps:
    """The diagnostics of ``target``, or a :class:`UsageError` naming what the platform lacks."""
    if not isinstance(target, SupportsDiagnostics):
        raise _missing(target, "troubleshooting diagnostics")
    return target.diagnostics()


def unmet(target: object, needs: tuple[Capability, ...]) -> tuple[str, ...]:
    """Why ``target`` cannot meet each of ``needs`` it lacks ('processes: ...'); empty when it meets them all."""
    if not needs:
        return ()
    platform = getattr(target, "platform", type(target).__name__)
    ops = target.diagnostics() if isinstance(target, SupportsDiagnostics) else None
    lacking: dict[Capability, str] = dict(ops.not_applicable()) if isinstance(ops, ScopedDiagnostics) else {}
    reasons = []
    for need in needs:
        extension = EXTENSIONS.get(need)
        if ops is None and (need in THROUGH_DIAGNOSTICS or extension is not None):
            reasons.append(f"{need}: platform '{platform}' offers no troubleshooting diagnostics")
        elif extension is not None and not isinstance(ops, extension):
            reasons.append(f"{need}: platform '{platform}' has no instances on hosts of their own")
        elif need in lacking:
            reasons.append(f"{need}: {lacking[need]}")
    return tuple(reasons)


def remedies_of(target: object) -> RemedyOps:
    """The remedies of ``target``, or a :class:`UsageError` naming what the platform lacks."""
    if not isinstance(target, SupportsTroubleshooting):
        raise _missing(target, "troubleshooting remedies")
    return target.remedies()
