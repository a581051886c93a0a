"""The sandbox's fault kinds with their parameter schemas, and the fault object for each."""

from __future__ import annotations

from opsready.sandbox.faults.base import SandboxFault
from opsready.sandbox.faults.database import ExhaustConnections, LockOrders
from opsready.sandbox.faults.flaw import SyntheticFlaw
from opsready.sandbox.faults.network import ProxyFault
from opsready.sandbox.faults.program import KillProcess, PauseProcess, StopProcess
from opsready.sandbox.faults.release import BadRelease, training_releases
from opsready.sandbox.faults.resources import MAX_WORKERS_PER_CORE, CpuHog, MemoryPressure, cores
from opsready.sandbox.manager import Sandbox
from opsready.sandbox.proxy.toxics import DIRECTIONS
from opsready.targets.faults import (
    CHOICE,
    DURATION,
    INT,
    PERCENT,
    SYNTHETIC_FLAW,
    TEXT,
    Facts,
    FaultKind,
    FaultParam,
    FaultSpec,
)

FAULTS: dict[str, type[SandboxFault]] = {
    "process-kill": KillProcess,
    "process-stop": StopProcess,
    "process-pause": PauseProcess,
    "db-stop": StopProcess,
    "db-lock": LockOrders,
    "db-connections": ExhaustConnections,
    "network-latency": ProxyFault,
    "network-bandwidth": ProxyFault,
    "network-reset": ProxyFault,
    "network-timeout": ProxyFault,
    "network-down": ProxyFault,
    "cpu-hog": CpuHog,
    "memory-pressure": MemoryPressure,
    "bad-release": BadRelease,
    SYNTHETIC_FLAW: SyntheticFlaw,
}


def _toxicity() -> FaultParam:
    return FaultParam("toxicity", PERCENT, 1.0, summary="share of connections hit, like toxiproxy (0%..100%)")


def _direction() -> FaultParam:
    return FaultParam("direction", CHOICE, "downstream", DIRECTIONS, summary="downstream is server -> client")


def kinds(postgresql: bool) -> tuple[FaultKind, ...]:
    """Every kind the sandbox offers (database kinds and the db proxy only with PostgreSQL)."""
    services = ("api", "worker", "edge", "db_proxy") if postgresql else ("api", "worker", "edge")
    service = FaultParam("service", CHOICE, None, services, summary="the supervised program")
    proxies = ("edge", "db") if postgresql else ("edge",)
    proxy = FaultParam("proxy", CHOICE, None, proxies, summary="edge: users -> api; db: api/worker -> PostgreSQL")
    found = [
        FaultKind("process-kill", "process", "SIGKILL a service's processes; the supervisor restarts it", (service,)),
        FaultKind("process-stop", "process", "stop a service (e.g. the worker: only the backlog notices)", (service,)),
        FaultKind("process-pause", "process", "freeze a service with SIGSTOP (SIGCONT on revert)", (service,)),
        FaultKind(
            "network-latency",
            "network",
            "delay data through a proxy",
            (
                proxy,
                FaultParam("latency", DURATION, None, minimum=0.001, maximum=60, summary="added delay"),
                FaultParam("jitter", DURATION, 0.0, minimum=0, maximum=60, summary="± uniform jitter"),
                _direction(),
                _toxicity(),
            ),
        ),
        FaultKind(
            "network-bandwidth",
            "network",
            "limit the rate of data through a proxy",
            (proxy, FaultParam("rate_kbps", INT, None, minimum=1, maximum=1_000_000), _direction(), _toxicity()),
        ),
        FaultKind("network-reset", "network", "reset connections through a proxy", (proxy, _toxicity())),
        FaultKind("network-timeout", "network", "blackhole connections (accept, never answer)", (proxy, _toxicity())),
        FaultKind("network-down", "network", "stop a proxy listening (connection refused)", (proxy,)),
        FaultKind(
            "cpu-hog",
            "resources",
            "busy processes competing for the CPU (bounded, end at the time limit)",
            (
                FaultParam(
                    "workers", INT, 2 * cores(), minimum=1, maximum=MAX_WORKERS_PER_CORE * cores(), summary="processes"
                ),
            ),
        ),
        FaultKind(
            "memory-pressure",
            "resources",
            "hold a share of the host's memory (bounded, ends at the time limit)",
            (
                FaultParam(
                    "share",
                    PERCENT,
                    0.1,
                    minimum=0.0,  # 0%: a holder that holds nothing, harmless: proves a detection probe can fail
                    maximum=0.5,
                    summary="of total memory (0%: none, a harmless control run)",
                ),
            ),
        ),
        FaultKind(
            "bad-release",
            "release",
            "deploy a flawed training release; revert switches back",
            (FaultParam("release", CHOICE, None, training_releases(), summary="a training release"),),
        ),
        FaultKind(
            SYNTHETIC_FLAW,
            "release",
            "make one installed release look bad: a share of its user requests fail or answer late, in the "
            "processes serving it only (a rollback ends it; the revert removes it)",
            (
                FaultParam("release", TEXT, None, summary="the installed release to flaw (e.g. the candidate)"),
                FaultParam("error_share", PERCENT, 0.3, minimum=0.0, maximum=1.0, summary="user requests failing"),
                FaultParam("latency", DURATION, 0.0, minimum=0, maximum=10, summary="added to each user request"),
            ),
        ),
    ]
    if postgresql:
        found[3:3] = [
            FaultKind("db-stop", "database", "stop PostgreSQL"),
            FaultKind(
                "db-lock",
                "database",
                "hold a lock on the orders table (order writes wait)",
                (
                    FaultParam(
                        "mode",
                        CHOICE,
                        "exclusive",
                        ("exclusive", "access-exclusive"),
                        summary="exclusive blocks writes",
                    ),
                ),
            ),
            FaultKind(
                "db-connections",
                "database",
                "exhaust PostgreSQL's connection slots",
                (FaultParam("leave", INT, 0, minimum=0, maximum=20, summary="slots to leave free"),),
            ),
        ]
    return tuple(found)


def open_fault(sandbox: Sandbox, spec: FaultSpec, fault_id: str, facts: Facts = ()) -> SandboxFault:
    """The fault object for a validated spec."""
    return FAULTS[spec.kind](sandbox, spec, fault_id, facts)


def sandbox_kinds(sandbox: Sandbox) -> tuple[FaultKind, ...]:
    """The kinds this sandbox offers (by the engine it was created with, or would be)."""
    from opsready.sandbox.database import choose_engine

    return kinds(choose_engine(sandbox.options.database, sandbox.engine()) == "postgresql")
