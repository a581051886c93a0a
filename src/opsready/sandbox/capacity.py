"""Capacity operations on the sandbox: resource use of its processes (from /proc), scaling the api's gunicorn workers
at runtime (TTIN/TTOU to the master through supervisord), and the fault that adds latency on the users' or the
database link (a toxic of its proxy, injected by a capacity drill through the chaos guard like any other fault).

A unit is one gunicorn worker. gunicorn adds a worker on SIGTTIN and retires the oldest one gracefully on SIGTTOU;
a deploy (SIGHUP) resets the count to the configured ``api_workers``, as a Deployment without an autoscaler would.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import psutil

from opsready.errors import Loc, TargetError, UsageError, ValidationError
from opsready.targets.capacity import LINKS, ComponentUsage, ResourceSnapshot
from opsready.targets.faults import FaultSpec, parse_fault_spec

if TYPE_CHECKING:
    from opsready.sandbox.manager import Sandbox

SERVICE = "api"
MAX_UNITS = 16  # a loopback sandbox on a small machine: more workers only thrash
_PROXIES = {"users": "edge", "database": "db"}  # the proxy each link goes through
DIRECTIONS = ("upstream", "downstream", "both")


def _tree(pid: int) -> list[psutil.Process]:
    """A process and its live descendants (zombies hold no resources and are skipped)."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return []
    live = []
    for proc in processes:
        try:
            if proc.status() != psutil.STATUS_ZOMBIE:
                live.append(proc)
        except psutil.Error:
            continue
    return live


def _usage(name: str, pid: int) -> ComponentUsage:
    cpu = 0.0
    rss = connections = count = 0
    for proc in _tree(pid):
        try:
            with proc.oneshot():
                times = proc.cpu_times()
                # children_* holds the CPU of reaped children (a retired gunicorn worker): the counter stays monotonic
                cpu += times.user + times.system + times.children_user + times.children_system
                rss += proc.memory_info().rss
                connections += sum(1 for c in proc.net_connections(kind="tcp") if c.status == psutil.CONN_ESTABLISHED)
                count += 1
        except psutil.Error:
            continue  # it exited while we looked
    return ComponentUsage(name=name, processes=count, cpu_seconds=cpu, rss_bytes=rss, connections=connections)


def workers(master: int) -> list[int]:
    """Pids of the gunicorn workers of ``master`` that are alive."""
    try:
        children = psutil.Process(master).children(recursive=False)
    except psutil.Error:
        return []
    alive = []
    for child in children:
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                alive.append(child.pid)
        except psutil.Error:
            continue
    return alive


def _master(sandbox: Sandbox) -> int:
    info = sandbox.supervisor().info(SERVICE)
    pid = int(info.get("pid") or 0)
    if info.get("statename") != "RUNNING" or not pid:
        raise TargetError(f"the api is not running (supervisord says {info.get('statename')})")
    return pid


def resource_usage(sandbox: Sandbox) -> ResourceSnapshot:
    """CPU seconds, resident memory and established connections of every supervised program, read from /proc."""
    at = time.monotonic()
    components = []
    units = 0
    for program in sandbox.status().programs:
        if program.pid:
            components.append(_usage(program.name, program.pid))
            if program.name == SERVICE:
                units = len(workers(program.pid))
    if not components:
        raise TargetError(f"the sandbox in {sandbox.layout.state} runs no program")
    return ResourceSnapshot(at=at, components=tuple(components), service=SERVICE, units=units)


def capacity_units(sandbox: Sandbox) -> int:
    """How many gunicorn workers serve now."""
    return len(workers(_master(sandbox)))


def scale(sandbox: Sandbox, units: int, timeout: float = 30.0) -> int:
    """Add or retire workers one signal at a time until exactly ``units`` run (signals of one kind coalesce)."""
    if not 1 <= units <= MAX_UNITS:
        raise UsageError(f"the sandbox api runs 1 to {MAX_UNITS} workers; asked for {units}")
    deadline = time.monotonic() + timeout
    with sandbox.locked():  # not while a deploy reloads gunicorn: its worker count is in flux then
        master = _master(sandbox)
        sup = sandbox.supervisor()
        current = len(workers(master))
        while current != units:
            wanted = current + (1 if current < units else -1)
            sup.signal(SERVICE, "TTIN" if wanted > current else "TTOU")
            while (current := len(workers(master))) != wanted:
                if time.monotonic() > deadline:
                    raise TargetError(f"gunicorn did not reach {wanted} workers within {timeout:.0f} s (has {current})")
                time.sleep(0.02)
        return current


def latency_fault(
    sandbox: Sandbox, link: str, latency_ms: int, direction: str = "upstream", time_limit: float = 600.0
) -> FaultSpec:
    """The network-latency fault of the link's proxy (edge for users, db for the database), one toxic among others."""
    from opsready.sandbox.faults.catalog import sandbox_kinds

    if link not in LINKS:
        raise UsageError(f"unknown link '{link}' (the sandbox has: {', '.join(LINKS)})")
    if link == "database" and sandbox.engine() != "postgresql":
        raise UsageError("the database link has no proxy on SQLite: use the 'users' link")
    if direction not in DIRECTIONS:
        raise UsageError(f"direction must be one of {', '.join(DIRECTIONS)}; got '{direction}'")
    params = {"proxy": _PROXIES[link], "latency": f"{latency_ms}ms", "direction": direction}
    try:
        return parse_fault_spec(sandbox_kinds(sandbox), "network-latency", params, time_limit, Loc(f"{link} latency"))
    except ValidationError as exc:
        raise UsageError(exc.message) from None
