"""Probes of the platform through the Target protocol: processes, database, business backlog."""

from __future__ import annotations

from opsready.observation import Observation
from opsready.probes.http import client
from opsready.profile import profile_of
from opsready.targets.protocol import Target


def processes(target: Target) -> Observation:
    """Every component of the target is running."""
    instances = target.instances()
    down = [f"{i.name}={i.state}" for i in instances if not i.running]
    if not instances:
        return Observation("processes", False, 0.0, " running", "no components found")
    running = len(instances) - len(down)
    detail = "all running" if not down else "not running: " + ", ".join(down)
    return Observation("processes", not down, float(running), f"/{len(instances)} running", detail)


def database(target: Target, timeout: float = 2.0) -> Observation:
    """The database answers on the service's own path to it."""
    ok, detail = target.check_database(timeout)
    return Observation("database", ok, None, "", detail)


def backlog(target: Target, max_age: float = 10.0, timeout: float = 2.0) -> Observation:
    """Work the service owes its users gets done: the oldest pending item (the profile's ``backlog``) is younger
    than ``max_age`` seconds. A profile without a backlog passes, saying so."""
    import httpx

    spec = profile_of(target).backlog
    if spec is None:
        return Observation("backlog", True, 0.0, " s", "the profile defines no backlog")
    try:
        with client(timeout=timeout) as http_client:
            stats = http_client.get(f"{target.base_url}{spec.endpoint}").json()
    except (httpx.HTTPError, ValueError) as exc:
        return Observation("backlog", False, "unreadable", "", f"stats unavailable: {type(exc).__name__}")
    _, pending = spec.pending.find(stats)
    found, age = spec.oldest_age.find(stats)
    if not found:
        return Observation("backlog", False, "unreadable", "", f"GET {spec.endpoint}: no '{spec.oldest_age.text}'")
    if age is None:
        return Observation("backlog", True, 0.0, " s", f"{pending or 0} pending")
    detail = f"{pending or 0} pending, oldest {float(str(age)):.1f} s, max {max_age:.0f} s"
    return Observation("backlog", float(str(age)) <= max_age, float(str(age)), " s", detail)
