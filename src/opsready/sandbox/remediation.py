"""Remediation on the sandbox (:mod:`opsready.targets.remediation`): restart a supervised program, reset a proxy link.

These are the moves the incident runbooks tell an operator to make, done the way an operator would on this host:
through supervisord for programs, and by writing the proxy's state file for links. A frozen (SIGSTOPped, hung)
program is killed rather than stopped: it cannot act on supervisord's SIGTERM until ``stopwaitsecs`` runs out, and
woken up for a graceful stop it would first work off everything queued while it hung.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

from opsready.errors import TargetError, UsageError
from opsready.processes import group_members
from opsready.sandbox import database
from opsready.sandbox.manager import Sandbox
from opsready.sandbox.proxy.control import clear, read_state
from opsready.sandbox.proxy.toxics import describe
from opsready.sandbox.supervisor import recorded_session

# link name -> supervised proxy program; the names are those of the chaos faults' ``proxy`` parameter
LINKS = {"edge": "edge", "db": "db_proxy"}
DOWN_STATES = ("STOPPED", "EXITED", "FATAL", "BACKOFF")


def components(sandbox: Sandbox) -> tuple[str, ...]:
    """The supervised programs."""
    return tuple(p.name for p in sandbox.status().programs)


def links(sandbox: Sandbox) -> tuple[str, ...]:
    """The proxy links this sandbox has (the database link only with PostgreSQL)."""
    return tuple(name for name in LINKS if name == "edge" or sandbox.engine() == "postgresql")


def _frozen(sandbox: Sandbox, pid: int) -> list[int]:
    session = recorded_session(sandbox.layout)
    return [m.pid for m in group_members(pid) if m.state == "T" and m.session == session]


def _wait_running(sandbox: Sandbox, name: str, deadline: float) -> int:
    sup = sandbox.supervisor()
    state = "?"
    while time.monotonic() < deadline:
        info = sup.info(name)
        state = info["statename"]
        if state == "RUNNING" and info["pid"]:
            return int(info["pid"])
        if state in ("STOPPED", "EXITED", "FATAL"):
            with contextlib.suppress(TargetError):  # raced with supervisord's own restart: look again
                sup.call("startProcess", name, True)
        time.sleep(0.05)
    raise TargetError(f"'{name}' did not run again within the time allowed (state {state})")


def _wait_replaced(sandbox: Sandbox, name: str, old: int, deadline: float) -> None:
    sup = sandbox.supervisor()
    while time.monotonic() < deadline:
        info = sup.info(name)
        if info["pid"] != old or info["statename"] in DOWN_STATES:
            return
        time.sleep(0.05)
    raise TargetError(f"'{name}' (pid {old}) did not exit after SIGKILL")


def restart_component(sandbox: Sandbox, name: str, timeout: float = 60.0) -> str:
    """Start ``name`` when it is down, kill it when it is frozen (supervisord starts it again), else restart it
    gracefully; waits until it runs again."""
    known = components(sandbox)
    if name not in known:
        raise UsageError(f"unknown component '{name}' (the sandbox runs: {', '.join(known)})")
    deadline = time.monotonic() + timeout
    sup = sandbox.supervisor()
    with sandbox.locked():  # not while a deploy reloads gunicorn or the sandbox starts or stops
        info = sup.info(name)
        pid = int(info["pid"] or 0)
        if info["statename"] in DOWN_STATES or not pid:
            sup.call("startProcess", name, True)
            done = f"started '{name}' (it was {info['statename']})"
        elif frozen := _frozen(sandbox, pid):
            # woken up for a graceful stop, a hung program would first work off everything queued meanwhile
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            _wait_replaced(sandbox, name, pid, deadline)
            done = f"killed hung '{name}' (pid {pid}, {len(frozen)} frozen process(es)) to start it again"
        else:
            sup.stop(name)
            sup.call("startProcess", name, True)
            done = f"restarted '{name}' (pid {pid})"
        new_pid = _wait_running(sandbox, name, deadline)
    if name == "postgres":
        database.wait_postgres(sandbox.layout, sandbox.ports(), timeout=max(1.0, deadline - time.monotonic()))
        done += ", accepting connections"
    return f"{done}; running as pid {new_pid}"


@contextlib.contextmanager
def _proxy_locked(state_file: Path, link: str) -> Iterator[None]:
    # the same lock file the chaos network faults take (sandbox/faults/network.py), so a fault added or reverted by
    # another process at the same moment is never lost
    lock = state_file.with_name(f".{link}.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def reset_link(sandbox: Sandbox, name: str, timeout: float = 10.0) -> str:
    """Remove every toxic from a proxy (starting the proxy when it is down); returns once its status confirms."""
    known = links(sandbox)
    if name not in known:
        raise UsageError(f"unknown link '{name}' (the sandbox has: {', '.join(known)})")
    program = LINKS[name]
    state_file = sandbox.layout.proxies / f"{name}.json"
    deadline = time.monotonic() + timeout
    with _proxy_locked(state_file, name):
        removed = read_state(state_file).toxics
        pid = _wait_running(sandbox, program, deadline)
        clear(state_file, pid, max(0.5, deadline - time.monotonic()))
    what = describe(removed) if removed else "nothing (it was already passing traffic through)"
    return f"reset the {name} link: removed {what}"
