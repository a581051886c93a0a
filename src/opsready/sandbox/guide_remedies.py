"""Remedies the troubleshooting guides prescribe for the sandbox beyond restarting a program or resetting a link
(those are :mod:`opsready.sandbox.remediation`): continue a frozen program (a restart would kill it, and the
platform would log a crash), end the database sessions that block others, and stop a runaway process group that is
not part of the sandbox (a CPU hog, a memory hog, a client holding every connection).

Neither reads fault journals: they act on what the diagnosis observed, so they work whatever caused the problem.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

import psutil

from opsready.errors import TargetError, UsageError
from opsready.sandbox import database
from opsready.sandbox.diagnostics import APP_NAME, SandboxDiagnostics, other_sandbox_groups
from opsready.sandbox.manager import Sandbox
from opsready.sandbox.supervisor import recorded_session


def _group(pgid: int) -> list[int]:
    members = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                members.append(proc.pid)
    return members


def _session_of(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except OSError:
        return None


class SandboxRemedies:
    """Remedies for one sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def resume(self, component: str) -> tuple[int, ...]:
        """SIGCONT to every frozen process of the program: it carries on where it stopped, nothing is lost."""
        states = [p for p in SandboxDiagnostics(self.sandbox).process_states() if p.component == component]
        if not states:
            raise UsageError(f"'{component}' has no running process to resume")
        resumed = []
        for state in states:
            if state.frozen:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(state.pid, signal.SIGCONT)
                    resumed.append(state.pid)
        return tuple(resumed)

    def end_blocking_sessions(self, timeout: float) -> tuple[int, ...]:
        """pg_terminate_backend() for every session another session of the orders database waits for."""
        if self.sandbox.engine() != "postgresql":
            raise UsageError("the sandbox runs on SQLite: there are no database sessions to end")
        import psycopg

        url = database.admin_url(self.sandbox.layout, self.sandbox.ports(), database.PG_DB)
        connect_timeout = max(2, round(timeout))
        with psycopg.connect(url, connect_timeout=connect_timeout, autocommit=True, application_name=APP_NAME) as c:
            rows = c.execute(
                "SELECT b.pid, pg_terminate_backend(b.pid) FROM (SELECT DISTINCT unnest(pg_blocking_pids(pid)) AS pid "
                "FROM pg_stat_activity WHERE datname = %s) AS b",
                (database.PG_DB,),
            ).fetchall()
        return tuple(int(r[0]) for r in rows if r[1])

    def stop_group(self, pgid: int, timeout: float) -> tuple[int, ...]:
        """SIGTERM a process group outside the sandbox (and outside any other sandbox on the host), SIGKILL what is
        left after half the timeout."""
        members = _group(pgid)
        if pgid <= 1 or not members:
            raise UsageError(f"no process group {pgid} is running")
        session = recorded_session(self.sandbox.layout)
        if pgid == os.getpgid(0) or any(_session_of(pid) == session for pid in members):
            raise UsageError(f"process group {pgid} is part of the sandbox or of opsready itself: refusing to stop it")
        if pgid in other_sandbox_groups(self.sandbox.layout.state):
            raise UsageError(f"process group {pgid} belongs to another opsready sandbox: refusing to stop it")
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, sig)
            deadline = time.monotonic() + timeout / 2
            while _group(pgid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if not _group(pgid):
                return tuple(members)
        raise TargetError(f"process group {pgid} did not stop within {timeout:g} s")
