"""Read-only diagnostics of a fleet of hosts (:class:`~opsready.targets.diagnostics.HostDiagnostics`): each
instance's health and readiness asked directly on its host, and each host's load, memory and disks read over SSH.

What the troubleshooting tree asks of a single machine (component processes, the supervisor's exit log, database
paths through a proxy, process groups' load) is not offered here, and :meth:`HostsDiagnostics.not_applicable` says
why, so a walk names those questions instead of misdiagnosing them. Nothing here changes a host: the commands read
``/proc`` and ``df`` only.
"""

from __future__ import annotations

import shlex
from concurrent.futures import ThreadPoolExecutor
from typing import NoReturn, Protocol

from opsready.errors import HostError, UsageError
from opsready.hosts.connection import HostConnection
from opsready.hosts.instances import InstanceState
from opsready.hosts.options import HostEntry, HostsOptions, LinkReleases
from opsready.targets.diagnostics import (
    Capability,
    ConnectionHolder,
    DbActivity,
    DiskUse,
    ExitEvent,
    HostLoad,
    HostResources,
    InstanceHealth,
    ProcessState,
    RoundTrip,
)

RESOURCES_TIMEOUT = 5.0
NOT_HERE: tuple[tuple[Capability, str], ...] = (
    ("orders-api", "the sandbox's orders API (/products, order stats) is not this fleet's service"),
    ("service-metrics", "/metrics at the balancer mixes the instances' counters (each scrape may reach another one)"),
    ("direct-url", "a fleet has one URL per instance, not one for the service (see the instances question)"),
    ("processes", "component processes are read on the machine the target runs on; hosts are reached over SSH"),
    ("exits", "no exit log of one supervisor covers the fleet"),
    ("database-paths", "no database path through a proxy is configured for hosts"),
    ("database-sessions", "the database's sessions are not read on hosts"),
    ("host-load", "load per process group is read on one machine; hosts report load, memory and disk instead"),
    ("connections", "connection holders are read on one machine"),
)
_READ = "nproc && cat /proc/loadavg && grep -E '^(MemTotal|MemAvailable):' /proc/meminfo && df -P -B1 {paths}"


class FleetView(Protocol):
    """What the diagnostics need of the hosts target."""

    name: str
    options: HostsOptions

    def instance_states(self) -> tuple[InstanceState, ...]:
        """Health, readiness and version of each app instance, asked directly."""
        ...

    def connection(self, name: str) -> HostConnection:
        """The open SSH connection to a configured host."""
        ...


def parse_resources(host: str, paths: tuple[str, ...], text: str) -> HostResources:
    """A host's resources from the output of the read command (nproc, /proc/loadavg, meminfo lines, ``df -P -B1``)."""
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        cores = int(lines[0])
        load1 = float(lines[1].split()[0])
        memory = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in lines[2:4]}
        disks = []
        for path, row in zip(paths, lines[5 : 5 + len(paths)], strict=True):  # lines[4] is df's header
            used, available = int(row.split()[2]), int(row.split()[3])
            disks.append(DiskUse(path, used / max(1, used + available), available))
        return HostResources(
            host, True, cores, load1, memory["MemTotal"], memory["MemAvailable"], tuple(disks), "read over SSH"
        )
    except (IndexError, KeyError, ValueError) as exc:
        return HostResources(host, False, detail=f"unreadable resources ({type(exc).__name__}: {exc})")


class HostsDiagnostics:
    """Diagnostics of one fleet: instances and host resources; the rest is named as not applicable."""

    def __init__(self, target: FleetView) -> None:
        self.target = target

    def not_applicable(self) -> tuple[tuple[Capability, str], ...]:
        """What a walk cannot ask of a fleet of hosts, and why."""
        return NOT_HERE

    # -- HostDiagnostics ------------------------------------------------------------------------------------------
    def instance_health(self) -> tuple[InstanceHealth, ...]:
        """Each app host's instance, asked directly over HTTP (never through the balancer)."""
        service = self.target.options.service
        return tuple(
            InstanceHealth(s.host, service, s.url, s.healthy, s.ready, s.version or "", s.detail)
            for s in self.target.instance_states()
        )

    def _paths(self, entry: HostEntry) -> tuple[str, ...]:
        strategy = self.target.options.strategy
        releases = entry.role == "app" and isinstance(strategy, LinkReleases)
        return ("/", strategy.dir) if releases and isinstance(strategy, LinkReleases) else ("/",)

    def _read(self, entry: HostEntry) -> HostResources:
        paths = self._paths(entry)
        command = _READ.format(paths=" ".join(shlex.quote(p) for p in paths))
        try:
            result = self.target.connection(entry.name).run(command, timeout=RESOURCES_TIMEOUT)
        except HostError as exc:
            return HostResources(entry.name, False, detail=exc.message)
        if not result.succeeded:
            why = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else f"exit {result.exit_status}"
            return HostResources(entry.name, False, detail=f"reached, but its resources are unreadable: {why}")
        return parse_resources(entry.name, paths, result.stdout)

    def host_resources(self) -> tuple[HostResources, ...]:
        """Every host of the target read at once over its own connection, in configuration order."""
        entries = self.target.options.hosts
        with ThreadPoolExecutor(max_workers=max(1, len(entries)), thread_name_prefix="opsready-hostres") as pool:
            return tuple(pool.map(self._read, entries))

    # -- DiagnosticOps: what a single machine offers, refused by name ----------------------------------------------
    def _lacks(self, capability: Capability) -> NoReturn:
        why = dict(NOT_HERE)[capability]
        raise UsageError(f"{capability} is not available on platform 'hosts' (target '{self.target.name}'): {why}")

    def direct_url(self) -> str:
        """Not on hosts: one URL per instance."""
        self._lacks("direct-url")

    def database_round_trip(self, path: str, timeout: float, payload_bytes: int = 0, queries: int = 1) -> RoundTrip:
        """Not on hosts."""
        self._lacks("database-paths")

    def process_states(self) -> tuple[ProcessState, ...]:
        """Not on hosts."""
        self._lacks("processes")

    def recent_exits(self, window_s: float) -> tuple[ExitEvent, ...]:
        """Not on hosts."""
        self._lacks("exits")

    def host_load(self, window_s: float) -> HostLoad:
        """Not on hosts: see :meth:`host_resources`."""
        self._lacks("host-load")

    def connection_holders(self, component: str) -> tuple[ConnectionHolder, ...]:
        """Not on hosts."""
        self._lacks("connections")

    def database_activity(self, timeout: float) -> DbActivity:
        """Not on hosts."""
        self._lacks("database-sessions")

    def log_names(self) -> tuple[str, ...]:
        """No logs are collected from hosts yet."""
        return ()

    def log_tail(self, name: str, max_bytes: int) -> str:
        """No logs are collected from hosts yet."""
        raise UsageError(f"no log '{name}' (logs are not collected from hosts)")
