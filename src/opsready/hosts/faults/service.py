"""Service faults on one host, through its service manager (supervisor): stop, kill (SIGKILL) and pause (SIGSTOP).

supervisor makes each program a process-group leader, so kill and pause signal the program's whole group (a server
and its workers) and nothing else. The program's pid is recorded when the fault is prepared as ``<pid>@<start
time>``, and the host signals it only while that pid still has that start time. Each fault starts its on-host timer
(:mod:`.timer`) before it changes anything: after the time limit the host starts the service again (stop, kill: in
case supervisor does not restart it) or continues its group (pause) by itself.
"""

from __future__ import annotations

import re
import shlex
import time

from opsready.hosts.faults import timer
from opsready.hosts.faults.base import HostFault
from opsready.observation import Observation
from opsready.targets.faults import Facts

_STATUS = re.compile(r"^\S+\s+([A-Z]+)(?:\s+pid (\d+))?")
POLL = 0.1


class ServiceFault(HostFault):
    """A fault on one supervisor program of one host."""

    @property
    def service(self) -> str:
        """The supervisor program."""
        return self.spec.text("service")

    @property
    def ctl(self) -> str:
        """supervisorctl with the target's configuration file, as a command line on the host."""
        o = self.target.options
        config = f" -c {shlex.quote(o.supervisor_config)}" if o.supervisor_config else ""
        return f"{shlex.quote(o.supervisorctl)}{config}"

    def status(self, before: str = "") -> tuple[str, int]:
        """The program's state and pid (0 when it has none) as supervisor reports it, after running ``before``
        (one round trip for both)."""
        state, pid, _ = self._status(before)
        return state, pid

    def _status(self, before: str = "", timer_too: bool = False) -> tuple[str, int, bool]:
        """State, pid, and whether the fault's timer runs (asked only with ``timer_too``)."""
        command = f"{before}\n{self.ctl} status {shlex.quote(self.service)}"
        if timer_too:
            command += f"\n{timer.alive(self.fault_id)}"
        lines = self.run(command).stdout.strip().splitlines()
        out = next((line for line in lines if not line.startswith("timer ")), "")
        match = _STATUS.match(out)
        if match is None or "no such process" in out:
            raise self.refuse(f"supervisor does not know the service '{self.service}': {out[:200] or 'no answer'}")
        return match.group(1), int(match.group(2) or 0), any(line.startswith("timer ") for line in lines)

    def running(self) -> tuple[int, str]:
        """The pid of the RUNNING program and its start time on the host; a refusal naming its state otherwise."""
        state, pid = self.status()
        if state != "RUNNING" or not pid:
            raise self.refuse(f"the service '{self.service}' is {state}, not RUNNING")
        start = self.check("reading the service's process", f"sed 's/.*) //' /proc/{pid}/stat | cut -d' ' -f20")
        return pid, start.stdout.strip()

    def recorded(self) -> tuple[int, str]:
        """The process the fault was prepared against: (pid, start time), or (0, '') when none was recorded."""
        pid, _, start = self.facts.get("service_process", "").partition("@")
        return (int(pid), start) if pid.isdigit() else (0, "")

    def signal_group(self, sig: str) -> str:
        """Shell: send ``sig`` to the recorded process group, only while its leader is the recorded process."""
        pid, start = self.recorded()
        if not pid:
            return "true"
        return (
            f"{timer.SAME}; if same {pid} {shlex.quote(start)}; then "
            f"kill -{sig} -{pid} 2>/dev/null || kill -{sig} {pid}; fi; true"
        )

    def start_command(self) -> str:
        """Shell: start the program unless it runs (an 'already started' answer is fine)."""
        return f"{self.ctl} start {shlex.quote(self.service)} >/dev/null 2>&1; true"

    def wait_running(self, timeout: float, differs_from: int = 0, before: str = "") -> tuple[str, int]:
        """Run ``before``; then start the program if it is down, until it is RUNNING (as another pid than
        ``differs_from``) or time is up."""
        deadline = time.monotonic() + timeout
        state, pid = self.status(before)
        while not (state == "RUNNING" and pid != differs_from) and time.monotonic() < deadline:
            if state in ("STOPPED", "EXITED", "FATAL", "BACKOFF"):
                self.run(self.start_command())
            time.sleep(POLL)
            state, pid = self.status()
        return state, pid

    def verify_reverted(self) -> Observation:
        """The program runs and the fault's timer is gone."""
        state, pid, timing = self._status(timer_too=True)
        problems = [] if state == "RUNNING" else [f"'{self.service}' is {state}"]
        if timing:
            problems.append("its fault timer still runs")
        return self.observe("service running", problems, f"'{self.service}' RUNNING as pid {pid}, no fault timer")


class StopService(ServiceFault):
    """Stop the program through supervisor; the revert (or the host, at the time limit) starts it again."""

    def describe(self) -> str:
        """What would happen."""
        return (
            f"stop '{self.service}' through supervisor on host {self.host}; the host starts it again by itself after "
            f"{self.spec.time_limit:g} s, the revert at once"
        )

    def prepare(self) -> Facts:
        """The program must be known to supervisor on the host (its state may be anything)."""
        self.status()
        return ()

    def place(self, deadline: float) -> None:
        """Start the timer, then stop the program."""
        arm = timer.start(self.fault_id, self.seconds_left(deadline), self.start_command())
        self.check(f"stopping '{self.service}'", f"{arm}\n{self.ctl} stop {shlex.quote(self.service)}")

    def lift(self, timeout: float) -> None:
        """Cancel the timer, start the program and wait until it runs."""
        state, _ = self.wait_running(timeout, before=f"{timer.cancel(self.fault_id)}\n{self.start_command()}")
        if state != "RUNNING":
            raise self.refuse(f"'{self.service}' did not run again within {timeout:g} s (state {state})")


class KillService(ServiceFault):
    """SIGKILL the program's process group; supervisor restarts it (the revert, or the host's timer, if it does not)."""

    def describe(self) -> str:
        """What would happen."""
        return (
            f"SIGKILL the process group of '{self.service}' on host {self.host}; supervisor restarts it (else the "
            f"host starts it after {self.spec.time_limit:g} s, the revert at once)"
        )

    def prepare(self) -> Facts:
        """Record the process that will be killed."""
        pid, start = self.running()
        return (("service_process", f"{pid}@{start}"),)

    def place(self, deadline: float) -> None:
        """Start the timer, then kill the recorded group."""
        arm = timer.start(self.fault_id, self.seconds_left(deadline), self.start_command())
        self.check(f"killing '{self.service}'", f"{arm}\n{self.signal_group('KILL')}")

    def lift(self, timeout: float) -> None:
        """Cancel the timer; wait until the program runs as a new process (start it if supervisor gave up)."""
        killed, _ = self.recorded()
        state, pid = self.wait_running(timeout, differs_from=killed, before=timer.cancel(self.fault_id))
        if state != "RUNNING" or pid == killed:
            raise self.refuse(f"'{self.service}' was not restarted within {timeout:g} s (state {state}, pid {pid})")


class PauseService(ServiceFault):
    """Freeze the program's process group with SIGSTOP; the revert (or the host's timer) sends SIGCONT."""

    def describe(self) -> str:
        """What would happen."""
        return (
            f"SIGSTOP the process group of '{self.service}' on host {self.host}; the host sends SIGCONT by itself "
            f"after {self.spec.time_limit:g} s, the revert at once"
        )

    def prepare(self) -> Facts:
        """Record the process group that will be paused."""
        pid, start = self.running()
        return (("service_process", f"{pid}@{start}"),)

    def place(self, deadline: float) -> None:
        """Start the timer, then stop the recorded group."""
        arm = timer.start(self.fault_id, self.seconds_left(deadline), self.signal_group("CONT"))
        self.check(f"pausing '{self.service}'", f"{arm}\n{self.signal_group('STOP')}")

    def lift(self, timeout: float) -> None:
        """Cancel the timer and continue the group."""
        self.check(f"continuing '{self.service}'", f"{timer.cancel(self.fault_id)}\n{self.signal_group('CONT')}")

    def stopped(self) -> list[str]:
        """Pids of the recorded group that are stopped (state T) on the host."""
        pid, _ = self.recorded()
        if not pid:
            return []
        return stopped_in_group(self, pid)

    def verify_reverted(self) -> Observation:
        """No process of the group is stopped, and the fault's timer is gone."""
        problems = [f"stopped pids {', '.join(stopped)}" for stopped in [self.stopped()] if stopped]
        if self.timer_running():
            problems.append("its fault timer still runs")
        return self.observe("service continued", problems, f"no process of '{self.service}' is stopped")


def stopped_in_group(fault: HostFault, pgid: int) -> list[str]:
    """Pids of process group ``pgid`` that are stopped (state T) on the fault's host."""
    out = fault.run(
        'cat /proc/[0-9]*/stat 2>/dev/null | awk \'{ pid = $1; s = $0; sub(/.*\\) /, "", s); split(s, a, " "); '
        f'if (a[3] == {pgid} && a[1] == "T") print pid }}\''
    ).stdout
    return [line.strip() for line in out.splitlines() if line.strip().isdigit()]
