"""Process faults on supervised programs: kill (SIGKILL, the supervisor restarts it), stop, pause (SIGSTOP/SIGCONT).

supervisord makes every program a process-group leader, so a fault hits the whole program (a gunicorn master and
its workers) and nothing else. ``db-stop`` is a stop of the ``postgres`` program whose revert also waits until the
server accepts connections again.
"""

from __future__ import annotations

import os
import signal
import time

from opsready.errors import TargetError
from opsready.observation import Observation
from opsready.processes import group_members, pid_alive
from opsready.sandbox import database
from opsready.sandbox.faults.base import SandboxFault
from opsready.sandbox.faults.owned import signal_group
from opsready.sandbox.supervisor import recorded_session
from opsready.targets.faults import Facts


def _down_is_clean(name: str) -> Observation:
    return Observation(name, True, None, "", "the sandbox is down: nothing of the fault can remain running")


class KillProcess(SandboxFault):
    """SIGKILL a program's process group; supervisord restarts it (autorestart)."""

    @property
    def service(self) -> str:
        """The program hit."""
        return self.spec.text("service")

    def describe(self) -> str:
        """What would happen."""
        return (
            f"SIGKILL the process group of '{self.service}' on the {self.where}; supervisord restarts it, "
            "the revert waits until it runs again"
        )

    def prepare(self) -> Facts:
        """Remember the pid that will be killed."""
        return (("pid", str(self.running_pid(self.service))),)

    def inject(self, deadline: float) -> None:
        """Kill the program's group."""
        pid = int(self.facts["pid"])
        if recorded_session(self.sandbox.layout) not in {m.session for m in group_members(pid)}:
            raise TargetError(f"pid {pid} is no longer '{self.service}' of the {self.where}")
        os.killpg(pid, signal.SIGKILL)

    def revert(self, timeout: float) -> None:
        """Wait for the restart (start it if supervisord gave up)."""
        if not self.up():
            return
        deadline = time.monotonic() + timeout
        killed = int(self.facts.get("pid", "0") or 0)
        while time.monotonic() < deadline:
            info = self.program(self.service)
            if info["statename"] == "RUNNING" and (info["pid"] != killed or pid_alive(killed)):
                return
            if info["statename"] in ("STOPPED", "EXITED", "FATAL"):
                self.ensure_running(self.service, max(0.1, deadline - time.monotonic()))
                return
            time.sleep(0.05)
        raise TargetError(f"'{self.service}' was not restarted within {timeout:g} s on the {self.where}")

    def verify_reverted(self) -> Observation:
        """The program runs, as a process that was not killed."""
        if not self.up():
            return _down_is_clean("process restarted")
        info = self.program(self.service)
        killed = int(self.facts.get("pid", "0") or 0)
        ok = info["statename"] == "RUNNING" and (info["pid"] != killed or pid_alive(killed))
        return Observation("process restarted", ok, info["statename"], "", f"'{self.service}' pid {info['pid']}")


class StopProcess(SandboxFault):
    """Stop a program through supervisord; the revert starts it again."""

    @property
    def service(self) -> str:
        """The program stopped."""
        return "postgres" if self.spec.kind == "db-stop" else self.spec.text("service")

    def describe(self) -> str:
        """What would happen."""
        return f"stop '{self.service}' through supervisord on the {self.where}; the revert starts it again"

    def prepare(self) -> Facts:
        """The program must exist (its state may be anything)."""
        self.program(self.service)
        return ()

    def inject(self, deadline: float) -> None:
        """Stop it and wait until it has exited."""
        self.supervisor().stop(self.service)

    def revert(self, timeout: float) -> None:
        """Start it and wait until it runs (for PostgreSQL: until it accepts connections)."""
        if not self.up():
            return
        started = time.monotonic()
        self.ensure_running(self.service, timeout)
        if self.service == "postgres":
            left = max(1.0, timeout - (time.monotonic() - started))
            database.wait_postgres(self.sandbox.layout, self.sandbox.ports(), timeout=left)

    def verify_reverted(self) -> Observation:
        """The program runs (PostgreSQL also answers)."""
        if not self.up():
            return _down_is_clean("process running")
        observation = self.observe_running(self.service, "process running")
        if observation.ok and self.service == "postgres":
            ok, detail = _pg_answers(self)
            return Observation("database running", ok, None, "", detail)
        return observation


def _pg_answers(fault: SandboxFault) -> tuple[bool, str]:
    import psycopg

    try:
        with psycopg.connect(
            database.admin_url(fault.sandbox.layout, fault.sandbox.ports()), connect_timeout=2
        ) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return False, f"PostgreSQL does not answer: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc}"
    return True, "PostgreSQL answers SELECT 1"


class PauseProcess(SandboxFault):
    """Freeze a program's process group with SIGSTOP; the revert sends SIGCONT."""

    @property
    def service(self) -> str:
        """The program paused."""
        return self.spec.text("service")

    def describe(self) -> str:
        """What would happen."""
        return f"SIGSTOP the process group of '{self.service}' on the {self.where}; the revert sends SIGCONT"

    def prepare(self) -> Facts:
        """Remember the process group that will be paused."""
        return (("pgid", str(self.running_pid(self.service))),)

    def _groups(self) -> set[int]:
        groups = {int(self.facts.get("pgid", "0") or 0)}
        if self.up():
            info = self.program(self.service)
            if info["pid"]:
                groups.add(int(info["pid"]))
        session = recorded_session(self.sandbox.layout)
        # only groups that still belong to this sandbox: a recorded pgid may have been reused since
        return {g for g in groups if g and any(m.session == session for m in group_members(g))}

    def inject(self, deadline: float) -> None:
        """Stop every process of the group."""
        pgid = int(self.facts["pgid"])
        if pgid not in self._groups():
            raise TargetError(f"process group {pgid} is no longer '{self.service}' of the {self.where}")
        os.killpg(pgid, signal.SIGSTOP)

    def revert(self, timeout: float) -> None:
        """Continue every process of the group."""
        for pgid in self._groups():
            signal_group(pgid, signal.SIGCONT)

    def verify_reverted(self) -> Observation:
        """No process of the group is stopped."""
        stopped = [m.pid for g in self._groups() for m in group_members(g) if m.state == "T"]
        detail = f"stopped: {stopped}" if stopped else f"no process of '{self.service}' is stopped"
        return Observation("process continued", not stopped, float(len(stopped)), " stopped", detail)
