"""An independent sweep of the sandbox for anything a fault may have left behind, whatever journal says otherwise.

It does not look at fault journals or fault objects at all: it checks the sandbox as it is (programs running, no
stopped process, proxies passing traffic through, no holder process, no fault session in PostgreSQL, no training
release serving, no synthetic flaw file), so it can vouch for a revert that journals claim.
"""

from __future__ import annotations

import contextlib

from opsready.errors import TargetError
from opsready.observation import Observation
from opsready.processes import all_processes
from opsready.sandbox import database
from opsready.sandbox.faults.owned import holders
from opsready.sandbox.faults.release import training_releases
from opsready.sandbox.manager import Sandbox
from opsready.sandbox.proxy.control import read_state, read_status, status_path
from opsready.sandbox.service.flaws import flaws_dir
from opsready.sandbox.supervisor import recorded_session


def _programs(sandbox: Sandbox) -> Observation:
    status = sandbox.status()
    down = [f"{p.name}={p.state}" for p in status.programs if p.state != "RUNNING"]
    ok = bool(status.programs) and not down
    detail = "all running" if ok else ("not running: " + ", ".join(down) if down else "no programs")
    return Observation("programs running", ok, None, "", detail)


def _stopped(sandbox: Sandbox) -> Observation:
    session = recorded_session(sandbox.layout)
    stopped = [p.pid for p in all_processes() if p.session == session and p.state == "T"]
    return Observation("no stopped process", not stopped, float(len(stopped)), "", f"stopped pids: {stopped}")


def _proxy(sandbox: Sandbox, name: str) -> Observation:
    state_file = sandbox.layout.proxies / f"{name}.json"
    try:
        state = read_state(state_file)
        status = read_status(status_path(state_file))
    except Exception as exc:  # a broken file is itself residue worth reporting
        return Observation(f"{name} proxy pass-through", False, None, "", f"{type(exc).__name__}: {exc}")
    ok = not state.toxics and not status.toxics and status.listening and status.generation == state.generation
    detail = f"toxics wanted {len(state.toxics)}, applied {len(status.toxics)}, listening {status.listening}"
    return Observation(f"{name} proxy pass-through", ok, None, "", detail)


def _holders(sandbox: Sandbox) -> Observation:
    left = holders(sandbox.layout.state)
    return Observation("no fault holder process", not left, float(len(left)), "", f"pids: {[p.pid for p in left]}")


def _sessions(sandbox: Sandbox) -> Observation:
    import psycopg

    try:
        url = database.admin_url(sandbox.layout, sandbox.ports(), database.PG_DB)
        with psycopg.connect(url, connect_timeout=2, application_name="opsready-residue") as conn:
            row = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE l.granted) FROM pg_stat_activity a "
                "LEFT JOIN pg_locks l ON l.pid = a.pid AND l.relation = 'orders'::regclass "
                "WHERE a.application_name LIKE 'opsready-fault-%'"
            ).fetchone()
    except psycopg.Error as exc:
        return Observation("no fault session", False, None, "", f"PostgreSQL: {type(exc).__name__}")
    sessions, locks = (int(row[0]), int(row[1])) if row else (0, 0)
    detail = f"{sessions} fault session(s), {locks} lock(s) on orders"
    return Observation("no fault session", sessions == 0, float(sessions), "", detail)


def _release(sandbox: Sandbox) -> Observation:
    current = sandbox.current_release() or ""
    ok = current not in training_releases()
    return Observation("no training release", ok, current, "", f"current release {current or 'none'}")


def _flaws(sandbox: Sandbox) -> Observation:
    left = sorted(p.name for p in flaws_dir(sandbox.layout.state).glob("*.json"))
    return Observation("no synthetic flaw", not left, float(len(left)), "", f"flaw files: {left}")


def residue(sandbox: Sandbox) -> tuple[Observation, ...]:
    """Every check, in a fixed order (all ``ok`` when no fault is left)."""
    if not sandbox.is_up():
        return (Observation("sandbox up", False, None, "", f"the sandbox in {sandbox.layout.state} is down"),)
    found = [_programs(sandbox), _stopped(sandbox), _proxy(sandbox, "edge"), _holders(sandbox)]
    if sandbox.engine() == "postgresql":
        found.insert(3, _proxy(sandbox, "db"))
        with contextlib.suppress(TargetError):
            found.append(_sessions(sandbox))
    found += [_release(sandbox), _flaws(sandbox)]
    return tuple(found)
