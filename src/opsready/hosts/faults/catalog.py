"""The fault kinds a ``platform: hosts`` target offers, with their parameter schemas, and the fault object of each.

Every kind acts on ONE host, named by its ``host`` parameter: a choice among the target's hosts, so a host that is
not the target's is a ``path:line`` error before anything runs (and :meth:`HostsTarget.entry` refuses it again).
"""

from __future__ import annotations

from opsready.hosts.faults.base import HostAccess, HostFault
from opsready.hosts.faults.network import Partition, PortFault
from opsready.hosts.faults.resources import CpuHog, MemoryPressure
from opsready.hosts.faults.service import KillService, PauseService, StopService
from opsready.hosts.options import HostsOptions
from opsready.targets.faults import CHOICE, INT, PERCENT, Facts, FaultKind, FaultParam, FaultSpec

FAULTS: dict[str, type[HostFault]] = {
    "service-stop": StopService,
    "service-kill": KillService,
    "service-pause": PauseService,
    "port-drop": PortFault,
    "port-reject": PortFault,
    "partition": Partition,
    "cpu-hog": CpuHog,
    "memory-pressure": MemoryPressure,
}
MAX_WORKERS = 64


def _host(names: tuple[str, ...], summary: str = "the host the fault is placed on") -> FaultParam:
    return FaultParam("host", CHOICE, None, names, summary=summary)


def kinds(options: HostsOptions) -> tuple[FaultKind, ...]:
    """Every kind, its ``host`` among the target's hosts (read from the configuration: no host is contacted)."""
    every = tuple(h.name for h in options.hosts)
    app = tuple(h.name for h in options.role("app"))
    databases = tuple(h.name for h in options.role("database"))
    services = tuple(dict.fromkeys((options.service, *(s for e in options.expectations.values() for s in e.services))))
    service = FaultParam("service", CHOICE, options.service, services, summary="the supervisor program")
    port = FaultParam("port", INT, None, minimum=1, maximum=65535, summary="the host's port")
    protocol = FaultParam("protocol", CHOICE, "tcp", ("tcp", "udp"))
    peer = FaultParam(
        "peer", CHOICE, databases[0] if databases else None, every, summary="the host it can no longer reach"
    )
    return (
        FaultKind("service-stop", "process", "stop a service through supervisor on one host", (_host(every), service)),
        FaultKind(
            "service-kill",
            "process",
            "SIGKILL a service's process group on one host; supervisor restarts it",
            (_host(every), service),
        ),
        FaultKind(
            "service-pause",
            "process",
            "freeze a service on one host with SIGSTOP (SIGCONT on revert)",
            (_host(every), service),
        ),
        FaultKind(
            "port-drop",
            "network",
            "drop traffic to a port of one host (nftables on the host; clients time out)",
            (_host(every), port, protocol),
        ),
        FaultKind(
            "port-reject",
            "network",
            "reject traffic to a port of one host (nftables; clients are refused at once)",
            (_host(every), port, protocol),
        ),
        FaultKind(
            "partition",
            "network",
            "cut one host off from another, both ways (nftables on the first)",
            (_host(app or every, "the host cut off (an app host)"), peer),
        ),
        FaultKind(
            "cpu-hog",
            "resources",
            "busy loops on one host, in a cgroup whose quota bounds them",
            (
                _host(every),
                FaultParam(
                    "workers", INT, 0, minimum=0, maximum=MAX_WORKERS, summary="busy processes (0: one per core)"
                ),
                FaultParam(
                    "share", PERCENT, 1.0, minimum=0.01, maximum=1.0, summary="of the host's CPUs the hog may use"
                ),
            ),
        ),
        FaultKind(
            "memory-pressure",
            "resources",
            "hold a share of one host's memory, in a cgroup capped just above it",
            (
                _host(every),
                FaultParam(
                    "share",
                    PERCENT,
                    0.1,
                    minimum=0.0,
                    maximum=0.5,
                    summary="of the host's total memory (0%: none, a harmless control run)",
                ),
            ),
        ),
    )


def open_fault(target: HostAccess, spec: FaultSpec, fault_id: str, facts: Facts = ()) -> HostFault:
    """The fault object for a validated spec."""
    return FAULTS[spec.kind](target, spec, fault_id, facts)
