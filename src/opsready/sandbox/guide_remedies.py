"""Remedies the troubleshooting guides prescribe for the sandbox beyond restarting a program or resetting a link
(those are :mod:`opsready.sandbox.remediation`): continue a frozen program (a restart would kill it, and the
platform would log a crash), end the database sessions that block others, and stop a runaway process group (a CPU
hog, a memory hog, a client holding every connection).

None reads fault journals: they act on what the diagnosis observed. Which process group may be stopped is decided by
:func:`opsready.safety.may_stop_group` from :meth:`SandboxRemedies.process_group`, the sandbox's own proof: the holder
of one of its faults is the sandbox's (module, state directory, identity, as its reverts find it); its supervisord
session (the platform and its programs), opsready itself and other sandboxes are protected; anything else is
someone else's.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

import psutil

from opsready.errors import TargetError, UsageError
from opsready.processes import ProcessIdentity, ProcInfo, group_members, process_start
from opsready.sandbox import database
from opsready.sandbox.diagnostics import APP_NAME, SandboxDiagnostics, other_sandbox_groups
from opsready.sandbox.faults.owned import HOLDER_MODULE
from opsready.sandbox.manager import Sandbox
from opsready.sandbox.supervisor import recorded_session
from opsready.targets.diagnostics import GroupOwner, ProcessGroup


def _after(argv: tuple[str, ...], flag: str) -> str:
    i = argv.index(flag) if flag in argv else -1
    return argv[i + 1] if 0 <= i < len(argv) - 1 else ""


def _started(pid: int) -> float:
    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.Error, ValueError):
        return 0.0


def _live(group: ProcessGroup) -> list[ProcessIdentity]:
    """Members still running as the very process found (pid and start time: a process may rewrite its command
    line, e.g. setproctitle, and must still count as running)."""
    return [m for m in group.members if process_start(m.pid) == m.started]


def _signal(member: ProcessIdentity, sig: int) -> None:
    with contextlib.suppress(psutil.Error, ValueError):
        proc = psutil.Process(member.pid)
        if process_start(member.pid) == member.started:
            proc.send_signal(sig)  # psutil checks once more that the pid was not reused


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

    def _owner(self, pgid: int, members: list[ProcInfo], leader: ProcInfo) -> tuple[GroupOwner, str, str]:
        """(owner, why, fault id) of a live group, by the sandbox's own proof."""
        session = recorded_session(self.sandbox.layout)
        state = str(self.sandbox.layout.state)
        if pgid == os.getpgid(0):
            return "protected", "opsready itself (this command's own process group)", ""
        if session is not None and any(m.session == session for m in members):
            return "protected", "part of the sandbox (its platform or a program: restart or resume those)", ""
        if pgid in other_sandbox_groups(self.sandbox.layout.state):
            return "protected", "part of another opsready sandbox", ""
        if HOLDER_MODULE in leader.argv and _after(leader.argv, "--state") == state:
            fault_id = _after(leader.argv, "--fault-id")
            return "target", f"the holder of the sandbox's fault {fault_id}", fault_id
        fault_id = _after(leader.argv, "--fault-id") if HOLDER_MODULE in leader.argv else ""
        return "none", "", fault_id

    def process_group(self, pgid: int) -> ProcessGroup:
        """Who a live process group belongs to: the sandbox (one of its fault holders), protected, or nobody we
        know; with the identity of every member as found."""
        members = group_members(pgid) if pgid > 1 else []
        if not members:
            raise UsageError(f"no process group {pgid} is running")
        leader = next((m for m in members if m.pid == pgid), members[0])
        owner, detail, fault_id = self._owner(pgid, members, leader)
        identities = tuple(i for m in members if (i := ProcessIdentity.of(m.pid)) is not None)
        started = min((_started(m.pid) for m in members), default=0.0)
        command = " ".join(leader.argv)[:160] or "?"
        return ProcessGroup(pgid, identities, command, owner, detail, fault_id, started)

    def stop_group(self, group: ProcessGroup, timeout: float) -> tuple[int, ...]:
        """SIGTERM the members of the group that are still the processes found, SIGKILL what is left after half the
        timeout; returns the pids that ran and were stopped (a protected group is refused here too, should a caller
        skip the rule)."""
        if group.owner == "protected":
            raise UsageError(f"refused: {group.describe()} is {group.detail}")
        running = _live(group)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for member in _live(group):
                _signal(member, sig)
            deadline = time.monotonic() + timeout / 2
            while _live(group) and time.monotonic() < deadline:
                time.sleep(0.05)
            if not _live(group):
                return tuple(m.pid for m in running)
        raise TargetError(f"{group.describe()} did not stop within {timeout:g} s")
