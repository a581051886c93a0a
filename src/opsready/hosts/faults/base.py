"""What every fault on a host shares: the host it is placed on (one of the target's), its SSH line, sudo, and time.

A fault is rebuilt in other processes (the dead-man watchdog, ``opsready recover``) from its spec, id and journaled
facts alone, so nothing here keeps state between calls: every call reads the host afresh over SSH. Facts never use
the journal's process names (``pid``, ``*_pid``, ...): those are checked against *this* machine's processes, while a
host's pids live on the host; a host's process is recorded as ``<pid>@<start time>`` and checked on the host.
"""

from __future__ import annotations

import shlex
import time
from typing import Protocol

from opsready.errors import HostError, TargetError
from opsready.hosts.connection import HostConnection, RemoteResult
from opsready.hosts.faults import timer
from opsready.hosts.options import HostEntry, HostsOptions
from opsready.observation import Observation
from opsready.targets.faults import Facts, FaultBase, FaultSpec


class HostAccess(Protocol):
    """What a host fault needs of its target (:class:`~opsready.hosts.adapter.HostsTarget`)."""

    @property
    def options(self) -> HostsOptions:
        """The target's options."""
        ...

    def entry(self, name: str) -> HostEntry:
        """A configured host; any other name is refused before any connection."""
        ...

    def connection(self, name: str) -> HostConnection:
        """The open SSH connection to a configured host."""
        ...

    def hold_lock(self, holder: str) -> None:
        """Hold the fleet lock for this process on behalf of ``holder`` (refused while another run holds it)."""
        ...

    def drop_lock(self, holder: str) -> None:
        """``holder`` no longer needs the fleet lock (released when nobody of this process does)."""
        ...


class HostFault(FaultBase):
    """Base of the faults on one host; subclasses implement describe, prepare, place, lift, verify_reverted.

    From inject to revert the run holds the fleet lock (:mod:`opsready.hosts.lock`): another run's deploy, rollback
    or fault is refused meanwhile, while this run's own deploys and rollbacks (a drill's mitigation) go on under the
    lock it holds. A watchdog or ``opsready recover`` that reverts for a dead run holds no lock: the dead run's lock
    ends with its lease."""

    def __init__(self, target: HostAccess, spec: FaultSpec, fault_id: str, facts: Facts = ()) -> None:
        super().__init__(spec, timer.check_id(fault_id), facts)
        self.target = target
        self.entry = target.entry(spec.text("host"))  # refuses a host that is not the target's

    def inject(self, deadline: float) -> None:
        """Take the fleet lock for this run, then place the fault (the lock is dropped again if placing fails)."""
        self.target.hold_lock(self.fault_id)
        try:
            self.place(deadline)
        except BaseException:
            self.target.drop_lock(self.fault_id)
            raise

    def revert(self, timeout: float) -> None:
        """Lift the fault; the fleet lock is this fault's no longer (even when lifting fails: the journal keeps it)."""
        try:
            self.lift(timeout)
        finally:
            self.target.drop_lock(self.fault_id)

    def place(self, deadline: float) -> None:
        """Put the fault in place on the host, with its on-host timer."""
        raise NotImplementedError

    def lift(self, timeout: float) -> None:
        """Take the fault away and cancel its on-host timer."""
        raise NotImplementedError

    @property
    def host(self) -> str:
        """The host's name."""
        return self.entry.name

    @property
    def placement(self) -> str:
        """'on host app1'."""
        return f"on host {self.host}"

    # -- running commands on the host ---------------------------------------------------------------------------
    def run(self, command: str, timeout: float | None = None) -> RemoteResult:
        """Run a shell command on the host (through ``sudo -n`` when the target says so); any exit status."""
        wrapped = f"sudo -n sh -c {shlex.quote(command)}" if self.target.options.sudo else command
        return self.target.connection(self.host).run(wrapped, timeout)

    def check(self, what: str, command: str, timeout: float | None = None) -> RemoteResult:
        """Run a command that must succeed; a failure is a HostError naming the host and the step."""
        result = self.run(command, timeout)
        if not result.succeeded:
            lines = (result.stderr.strip() or result.stdout.strip()).splitlines()
            detail = f": {lines[-1][:200]}" if lines else ""
            raise HostError(f"{what} failed (exit status {result.exit_status}){detail}", self.host)
        return result

    @staticmethod
    def seconds_left(deadline: float) -> float:
        """The time limit as a relative duration, measured on this machine's clock now (the host's may differ)."""
        return max(0.0, deadline - time.time())

    def timer_running(self) -> str:
        """'timer <pid>' while the fault's on-host timer runs, else ''."""
        return self.run(timer.alive(self.fault_id)).stdout.strip()

    def observe(self, probe: str, problems: list[str], fine: str) -> Observation:
        """An observation that is ``ok`` when ``problems`` is empty."""
        detail = f"host {self.host}: " + ("; ".join(problems) if problems else fine)
        return Observation(probe, not problems, float(len(problems)), "", detail)

    def refuse(self, message: str) -> TargetError:
        """A TargetError naming the host and the fault kind."""
        return TargetError(f"{self.spec.kind} on host {self.host}: {message}")
