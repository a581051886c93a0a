"""Processes and ports on this machine: what they are, which of them are ours, and how to stop a session of them.

Facts come from psutil; this is the one module that reads ``/proc`` itself, and only for what psutil lacks: the time
a process waited for a CPU (``schedstat`` of every thread).

A pid names a process only until it exits: the number is then reused. What opsready starts and later signals is
named by a :class:`ProcessIdentity` (pid, start time, command line), recorded when the process is started and
compared with the live process before any signal; a process that does not match is someone else's and is left
alone. Everything opsready starts runs in a session of its own, so "every process of it" is "every live process in
that session" (:class:`OwnedSession`): stopping by session touches nothing that someone else started.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import psutil

SESSION_TOKEN = "OPSREADY_SESSION_TOKEN"  # environment variable every member of an owned session inherits
_LETTERS = {
    psutil.STATUS_RUNNING: "R",
    psutil.STATUS_SLEEPING: "S",
    psutil.STATUS_DISK_SLEEP: "D",
    psutil.STATUS_STOPPED: "T",
    psutil.STATUS_TRACING_STOP: "t",
    psutil.STATUS_ZOMBIE: "Z",
    psutil.STATUS_DEAD: "X",
    "wake-kill": "K",  # psutil names no constant for it
    psutil.STATUS_WAKING: "W",
    psutil.STATUS_IDLE: "I",
    psutil.STATUS_PARKED: "P",
}


def _process(pid: int) -> psutil.Process | None:
    try:
        proc = psutil.Process(pid)
        return None if proc.status() == psutil.STATUS_ZOMBIE else proc
    except (psutil.Error, ValueError):
        return None


def _since_boot(proc: psutil.Process) -> float:
    """When a process started, in seconds since boot: unlike the wall-clock time, a clock change leaves it alone."""
    return round(float(proc.create_time()) - float(psutil.boot_time()), 2)  # the kernel counts in 1/100 s


def process_start(pid: int) -> float | None:
    """When a live process started, in seconds since boot; None when it is gone."""
    proc = _process(pid)
    if proc is None:
        return None
    with contextlib.suppress(psutil.Error):
        return _since_boot(proc)
    return None


@dataclass(frozen=True)
class ProcessIdentity:
    """One process, told apart from any later process given the same pid: pid, start time and command line."""

    pid: int
    started: float  # seconds since boot
    cmdline: tuple[str, ...]

    @classmethod
    def of(cls, pid: int) -> ProcessIdentity | None:
        """The identity of the live process ``pid`` (None when there is none, or it is a zombie)."""
        proc = _process(pid)
        if proc is None:
            return None
        try:
            return cls(pid, _since_boot(proc), tuple(proc.cmdline()))
        except psutil.Error:
            return None

    @classmethod
    def of_started(cls, pid: int, timeout: float = 5.0) -> ProcessIdentity | None:
        """The identity of a process just started: Popen returns before the kernel has filled in the new command
        line, so wait (up to ``timeout``) until there is one."""
        deadline = time.monotonic() + timeout
        identity = cls.of(pid)
        while identity is not None and not identity.cmdline and time.monotonic() < deadline:
            time.sleep(0.005)
            identity = cls.of(pid)
        return identity if identity is not None and identity.cmdline else None

    def current(self) -> bool:
        """Whether this very process still runs (same pid, start time and command line)."""
        return ProcessIdentity.of(self.pid) == self

    def signal(self, sig: int) -> bool:
        """Send ``sig`` to this very process if it still runs; whether it was sent."""
        proc = _process(self.pid)
        if proc is None or ProcessIdentity.of(self.pid) != self:
            return False
        try:
            proc.send_signal(sig)  # psutil checks again that the pid was not reused meanwhile
        except psutil.Error:
            return False
        return True

    def signal_group(self, sig: int) -> bool:
        """Send ``sig`` to the process group this very process leads, if it still runs and leads it; whether sent."""
        if not self.current():
            return False
        try:
            if os.getpgid(self.pid) != self.pid:
                return False
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    def describe(self) -> str:
        """'pid 123 (python -m ...)'."""
        return f"pid {self.pid} ({' '.join(self.cmdline)[:120] or '?'})"

    def to_json(self) -> dict[str, object]:
        """A JSON-ready mapping (see :meth:`from_json`)."""
        return {"pid": self.pid, "started": self.started, "cmdline": list(self.cmdline)}

    @classmethod
    def from_json(cls, data: object) -> ProcessIdentity:
        """Read :meth:`to_json` back; ValueError on anything else (a file may be stale, torn or fuzzed)."""
        if not isinstance(data, Mapping):
            raise ValueError("a process identity must be a mapping")
        pid, started, argv = data.get("pid"), data.get("started"), data.get("cmdline")
        if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
            raise ValueError(f"not a pid: {pid!r}")
        if not isinstance(started, int | float) or isinstance(started, bool):
            raise ValueError(f"not a start time: {started!r}")
        if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
            raise ValueError("the command line must be a list of strings")
        return cls(pid, float(started), tuple(argv))


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (and is not a zombie)."""
    return _process(pid) is not None


def kernel_state(pid: int) -> str:
    """The state letter ps shows (R, S, D, T stopped, Z, ...), or '?' when the process is gone."""
    try:
        return _LETTERS.get(psutil.Process(pid).status(), "?")
    except (psutil.Error, ValueError):
        return "?"


def cmdline(pid: int) -> str:
    """A process's command line, shortened to 160 characters ('?' when it is gone)."""
    try:
        return " ".join(psutil.Process(pid).cmdline()).strip()[:160] or "?"
    except (psutil.Error, ValueError):
        return "?"


@dataclass(frozen=True)
class ProcInfo:
    """One process: its state letter, process group, session and command line."""

    pid: int
    state: str  # R, S, D, T (stopped), Z, ...
    pgrp: int
    session: int
    argv: tuple[str, ...]


def _info(proc: psutil.Process) -> ProcInfo | None:
    try:
        with proc.oneshot():
            state, argv = _LETTERS.get(proc.status(), "?"), tuple(proc.cmdline())
        return ProcInfo(proc.pid, state, os.getpgid(proc.pid), os.getsid(proc.pid), argv)
    except (psutil.Error, OSError):
        return None


def proc_info(pid: int) -> ProcInfo | None:
    """A process's state, group, session and command line, or None when it is gone."""
    try:
        return _info(psutil.Process(pid))
    except (psutil.Error, ValueError):
        return None


def all_processes() -> list[ProcInfo]:
    """Every live (non-zombie) process."""
    found = (_info(proc) for proc in psutil.process_iter())
    return [info for info in found if info is not None and info.state != "Z"]


def group_members(pgid: int) -> list[ProcInfo]:
    """Live processes of process group ``pgid``."""
    return [p for p in all_processes() if p.pgrp == pgid]


def _in_session(sid: int) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if os.getsid(proc.pid) == sid and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
    return found


def session_members(sid: int) -> list[int]:
    """Pids of live processes in session ``sid``."""
    return [proc.pid for proc in _in_session(sid)]


def session_environment(token: str) -> dict[str, str]:
    """The environment to start a session leader with: ours, plus the token its whole session inherits."""
    return {**os.environ, SESSION_TOKEN: token}


@dataclass(frozen=True)
class OwnedSession:
    """A session opsready started: its leader's identity and the token every member inherits in its environment."""

    leader: ProcessIdentity
    token: str

    @staticmethod
    def new_token() -> str:
        """A token for a session about to be started."""
        return secrets.token_hex(16)

    def _split(self) -> tuple[list[psutil.Process], list[psutil.Process]]:
        """(ours, strangers) among the live members of the session: all ours while our leader runs (a session only
        grows by forking inside it); none while another process has the leader's pid (the session id was reused);
        after our leader died, those started since it that carry our token, or whose parent is ours."""
        members = sorted(_in_session(self.leader.pid), key=_started)
        leader = ProcessIdentity.of(self.leader.pid)
        if leader is not None:
            # pid and start time name one process for the kernel; the command line is not compared here: a leader
            # that was just killed shows an empty one while it exits, and it is still our leader then
            same = (leader.pid, leader.started) == (self.leader.pid, self.leader.started)
            return (members, []) if same else ([], members)
        ours: list[psutil.Process] = []
        strangers: list[psutil.Process] = []
        for proc in members:  # parents first: a child the token did not reach (postgres rewrites it) follows one
            owned = {p.pid for p in ours}
            if _started(proc) >= self.leader.started and (_carries(proc, self.token) or _parent(proc) in owned):
                ours.append(proc)
            else:
                strangers.append(proc)
        return ours, strangers

    def members(self) -> list[int]:
        """Pids of live processes of this session that are ours."""
        return [p.pid for p in self._split()[0]]

    def strangers(self) -> list[int]:
        """Pids of live processes with this session id that are not ours: never signalled."""
        return [p.pid for p in self._split()[1]]

    def stop(self, grace: float = 0.0, timeout: float = 5.0) -> list[int]:
        """Stop every process of the session that is ours (see :func:`stop_session`); returns the survivors.

        A process once found ours stays so until it has exited: while exiting it no longer shows its environment."""
        known: dict[tuple[int, float], psutil.Process] = {}

        def members() -> list[psutil.Process]:
            for proc in self._split()[0]:
                known.setdefault((proc.pid, _started(proc)), proc)
            return [p for p in known.values() if _running(p)]

        return _stop(members, grace, timeout)

    def to_json(self) -> dict[str, object]:
        """A JSON-ready mapping (see :meth:`from_json`)."""
        return {"leader": self.leader.to_json(), "token": self.token}

    @classmethod
    def from_json(cls, data: object) -> OwnedSession:
        """Read :meth:`to_json` back; ValueError on anything else."""
        if not isinstance(data, Mapping) or not isinstance(data.get("token"), str):
            raise ValueError("a session record needs a leader and a token")
        return cls(ProcessIdentity.from_json(data.get("leader")), str(data["token"]))


def _started(proc: psutil.Process) -> float:
    try:
        return _since_boot(proc)
    except psutil.Error:
        return float("inf")


def _running(proc: psutil.Process) -> bool:
    try:
        return bool(proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE)  # is_running: pid not reused
    except psutil.Error:
        return False


def _carries(proc: psutil.Process, token: str) -> bool:
    try:
        return bool(proc.environ().get(SESSION_TOKEN) == token)
    except psutil.Error:
        return False


def _parent(proc: psutil.Process) -> int:
    try:
        return int(proc.ppid())
    except psutil.Error:
        return 0


def stop_session(sid: int, grace: float = 0.0, timeout: float = 5.0) -> list[int]:
    """Stop every process of session ``sid`` (one this process started and holds the leader of): SIGTERM and up to
    ``grace`` seconds to exit (none: straight to SIGKILL), then SIGKILL until the session is empty or ``timeout`` more
    seconds passed. Returns the survivors."""
    return _stop(lambda: _in_session(sid), grace, timeout)


def _stop(members: Callable[[], list[psutil.Process]], grace: float, timeout: float) -> list[int]:
    if grace > 0:
        _signal_all(members(), signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and members():
            time.sleep(0.05)
    deadline = time.monotonic() + timeout
    while left := members():
        _signal_all(left, signal.SIGKILL)
        if time.monotonic() > deadline:
            return [p.pid for p in left]
        time.sleep(0.02)
    return []


def _signal_all(procs: list[psutil.Process], sig: int) -> None:
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.send_signal(sig)  # psutil checks first that the pid was not reused since it was listed


def free_port(host: str = "127.0.0.1") -> int:
    """A port that is free on ``host`` right now (bind to 0 and let the kernel choose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_listened(host: str, port: int) -> bool:
    """Whether a process listens on ``host:port`` (or holds it so that a server could not bind it).

    The probe binds with SO_REUSEADDR, as every server does: Linux then refuses only when a socket LISTENs on the
    port (or one bound there without SO_REUSEADDR), never for connections in TIME_WAIT, which a server restarted on
    the same port accepts too.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


@dataclass(frozen=True)
class SchedReading:
    """One process at one moment: its group, nanoseconds it ran and waited for a CPU (all threads), resident bytes."""

    pgid: int
    run_ns: int
    wait_ns: int
    rss_bytes: int


def _schedstat(pid: int) -> tuple[int, int]:
    """Nanoseconds a process ran and waited for a CPU, every thread counted (psutil has no run-queue wait)."""
    run = wait = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/schedstat", encoding="ascii") as fh:
            ran, waited, _ = fh.read().split()
        run, wait = run + int(ran), wait + int(waited)
    return run, wait


def sched_readings() -> dict[int, SchedReading]:
    """A reading of every live process of the host, by pid."""
    found = {}
    for proc in psutil.process_iter():
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                continue
            run, wait = _schedstat(proc.pid)
            found[proc.pid] = SchedReading(os.getpgid(proc.pid), run, wait, int(proc.memory_info().rss))
        except (psutil.Error, OSError, ValueError):
            continue  # it exited while we looked, or hides from us
    return found
