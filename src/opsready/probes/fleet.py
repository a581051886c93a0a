"""Probes of a target whose instances run on hosts of their own: is every instance serving when asked directly on its
host, and does every host have the resources to run it (load, memory, disk).

Both need :class:`~opsready.targets.diagnostics.HostDiagnostics`; a failed observation names the host and the
instance, and its value is the answer a troubleshooting tree branches on.
"""

from __future__ import annotations

from opsready.errors import UsageError
from opsready.observation import Observation
from opsready.targets.diagnostics import HostDiagnostics, HostResources, diagnostics_of
from opsready.targets.protocol import Target

INSTANCE_ANSWERS = ("unhealthy", "unready")
RESOURCE_ANSWERS = ("unreachable", "load", "memory", "disk")


def _host_ops(target: Target) -> HostDiagnostics:
    ops = diagnostics_of(target)
    if not isinstance(ops, HostDiagnostics):
        raise UsageError(f"platform '{target.platform}' has no instances on hosts of their own")
    return ops


def instances_serving(target: Target) -> Observation:
    """Every instance answers health and readiness directly on its host; else which ones do not (unhealthy first)."""
    found = _host_ops(target).instance_health()
    if not found:
        return Observation("instances_serving", False, "unhealthy", "", "the target reports no instance")
    down = [i for i in found if not i.serving]
    shown = "; ".join(i.describe() for i in (down or found))
    if not down:
        return Observation("instances_serving", True, float(len(found)), " instances", shown)
    answer = "unhealthy" if any(not i.healthy for i in down) else "unready"
    serving = len(found) - len(down)
    return Observation("instances_serving", False, answer, "", f"{shown} ({serving} of {len(found)} serving)")


def serving_instances(target: Target) -> Observation:
    """The share of instances that serve when asked directly on their hosts (all of them passes), naming those that
    do not: a classification tells one instance down (users served by the others) from none serving."""
    found = _host_ops(target).instance_health()
    if not found:
        return Observation("serving_instances", False, 0.0, "%", "the target reports no instance")
    down = [i for i in found if not i.serving]
    share = (len(found) - len(down)) / len(found)
    shown = "; ".join(i.describe() for i in (down or found))
    return Observation("serving_instances", not down, share * 100, "%", shown)


def _problem(host: HostResources, max_load: float, min_memory: float, max_disk: float) -> tuple[str, str] | None:
    if not host.reachable:
        return "unreachable", f"{host.host}: unreachable ({host.detail})"
    if host.load_per_core > max_load:
        what = f"load {host.load1:.2f} on {host.cores} core(s), {host.load_per_core:.2f} per core (max {max_load:g})"
        return "load", f"{host.host}: {what}"
    if host.memory_share < min_memory:
        mb = host.memory_available // 2**20
        return "memory", f"{host.host}: {mb} MB ({host.memory_share:.0%}) available (min {min_memory:.0%})"
    full = next((d for d in host.disks if d.used_share > max_disk), None)
    if full is not None:
        return "disk", f"{host.host}: {full.path} {full.used_share:.0%} used (max {max_disk:.0%})"
    return None


def host_resources(
    target: Target, max_load: float = 2.0, min_memory: float = 0.1, max_disk: float = 0.9
) -> Observation:
    """Every host answers, its one-minute load per core is at most ``max_load``, at least ``min_memory`` of its
    memory is available and no disk is fuller than ``max_disk``; else the first host that fails, and how."""
    hosts = _host_ops(target).host_resources()
    if not hosts:
        return Observation("host_resources", False, "unreachable", "", "the target names no host")
    problems = [p for p in (_problem(h, max_load, min_memory, max_disk) for h in hosts) if p is not None]
    if problems:
        order = {answer: n for n, answer in enumerate(RESOURCE_ANSWERS)}
        problems.sort(key=lambda p: order[p[0]])
        return Observation("host_resources", False, problems[0][0], "", "; ".join(p[1] for p in problems))
    shown = "; ".join(
        f"{h.host}: load {h.load_per_core:.2f}/core, {h.memory_share:.0%} memory free, "
        + ", ".join(f"{d.path} {d.used_share:.0%} used" for d in h.disks)
        for h in hosts
    )
    return Observation("host_resources", True, float(len(hosts)), " hosts", shown)
