"""Probes of the database server and of the host the target shares with others, for troubleshooting.

The host probes look for a *process group outside the target* that takes a large share of the host's CPU or
memory: pressure alone says the host is busy, the group says who makes it so (and what to stop). The database
probes talk to the database directly, not through the service's path, so they judge the server itself.
"""

from __future__ import annotations

from opsready.observation import Observation
from opsready.targets.diagnostics import GroupLoad, diagnostics_of
from opsready.targets.protocol import Target

SERVER_ANSWERS = ("refused", "reset", "timeout", "exhausted", "error")
WAIT_ANSWERS = ("unreadable",)
MB = 1024 * 1024


def database_server(target: Target, timeout: float = 1.5) -> Observation:
    """The database server accepts a new connection and answers a query, directly (no network between)."""
    trip = diagnostics_of(target).database_round_trip("direct", timeout)
    if trip.ok:
        detail = f"connected in {trip.connect_s * 1000:.0f} ms, SELECT 1 in {trip.query_s * 1000:.0f} ms"
        return Observation("database_server", True, None, "", detail)
    return Observation("database_server", False, trip.failure, "", trip.detail)


def database_waits(target: Target, max_waiting: int = 0, timeout: float = 1.5) -> Observation:
    """At most ``max_waiting`` database sessions wait on a lock another session holds."""
    activity = diagnostics_of(target).database_activity(timeout)
    if not activity.ok:
        return Observation("database_waits", False, "unreadable", "", f"cannot read activity: {activity.detail}")
    waiting = activity.waiting()
    if len(waiting) <= max_waiting:
        return Observation("database_waits", True, float(len(waiting)), " waiting", activity.detail)
    by_pid = {s.pid: s for s in activity.sessions}
    blockers = []
    for pid in activity.blockers():
        holder = by_pid.get(pid)
        if holder is None:
            blockers.append(f"pid {pid}")
            continue
        age = f", transaction open {holder.xact_age_s:.0f} s" if holder.xact_age_s is not None else ""
        blockers.append(f"pid {pid} ({holder.application or 'no name'}, {holder.state}{age}: {holder.query[:60]})")
    detail = f"{len(waiting)} session(s) wait on locks held by " + "; ".join(blockers)
    return Observation("database_waits", False, float(len(waiting)), " waiting", detail)


def _shown(group: GroupLoad) -> str:
    return f"pgid {group.pgid} ({group.processes} processes: {group.command[:80]})"


def host_cpu(target: Target, window_s: float = 1.0, max_share: float = 1.5) -> Observation:
    """No process group outside the target wants more than ``max_share`` of the host's cores over ``window_s``
    (ran plus waited for a CPU: a hog is known by what it demands, since a fair scheduler caps what it gets)."""
    load = diagnostics_of(target).host_load(window_s)
    foreign = load.foreign()
    if not foreign:
        return Observation("host_cpu", True, 0.0, "%", "no process outside the target")
    top = max(foreign, key=lambda g: g.cpu_demand)
    share = top.cpu_demand / load.cores
    detail = (
        f"most demanding outside the target: {_shown(top)} wants {top.cpu_demand:.1f} cores (got {top.cpu_cores:.1f}) "
        f"of {load.cores}, max {max_share:.0%} of them"
    )
    return Observation("host_cpu", share <= max_share, share * 100, "%", detail)


def host_memory(target: Target, max_share: float = 0.1) -> Observation:
    """No process group outside the target holds more than ``max_share`` of the host's memory."""
    load = diagnostics_of(target).host_load(0.0)
    foreign = load.foreign()
    if not foreign:
        return Observation("host_memory", True, 0.0, "%", "no process outside the target")
    top = max(foreign, key=lambda g: g.rss_bytes)
    share = top.rss_bytes / load.memory_bytes
    detail = (
        f"largest outside the target: {_shown(top)} holding {top.rss_bytes // MB} MB "
        f"({share:.0%} of {load.memory_bytes // MB} MB), max {max_share:.0%}"
    )
    return Observation("host_memory", share <= max_share, share * 100, "%", detail)
