"""The fleet lock: one mutating run (deploy, rollback, fault, maintenance) against a fleet at a time, whichever
machine it runs from.

The lock lives on the hosts themselves, so two opsready processes on two different machines see the same one: a
file ``/run/lock/opsready/fleet.lock`` on every app host of the target, taken in host-name order, all or none. Checking
and taking it is one shell script run under ``flock`` (on the directory) on the host, so two runs that race for one
host cannot both win. The file holds an expiry on the host's own clock (the lease: no two machines' clocks are ever
compared), the run's random token and a line saying who holds it (operation, machine, pid, start time): never a
credential.

The holder renews its lease every ``lease / 4`` from a thread of its own. A run that dies without releasing (SIGKILL,
a lost machine) stops renewing; once its lease has run out on a host, the lock there is *stale*: the next run takes
it over and says whose it was. :meth:`FleetLock.clear` removes a lock whatever its state (the way out when a run is
known dead before its lease ends): ``HostsTarget.clear_lock()``, or by hand ``rm /run/lock/opsready/fleet.lock`` on
each host. ``/run`` is emptied by a reboot, so a rebooted host holds no lock. The lock's commands run as the
configured user without ``sudo``: Debian makes ``/run/lock`` writable by every user (mode 1777), and the first run
makes ``/run/lock/opsready`` writable by every user too, so runs as root and as a deploy user see one lock. It is a
guard against two runs by mistake, not against someone on the host: any local user may remove it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import secrets
import shlex
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from opsready.errors import HostError, UsageError
from opsready.hosts.connection import HostConnection
from opsready.targets.protocol import Say, quiet

LOCK_DIR = "/run/lock/opsready"
LOCK_FILE = f"{LOCK_DIR}/fleet.lock"
LEASE = 60.0  # seconds a lock outlives its last renewal on a host's clock

# $1 action, $2 token, $3 lease (whole seconds), $4 who. One line out: TAKEN | STALE <s ago> <who> then TAKEN |
# HELD <s left> <who> | RENEWED | LOST <who> | RELEASED | FREE | LOCK <s left> <who> | CLEARED | GUARD (flock timed out)
_SCRIPT = r"""
d=__DIR__; f=__FILE__
[ -d "$d" ] || mkdir -p -m 0777 "$d"
exec 9<"$d"
flock -w 10 9 || { echo GUARD; exit 0; }
now=$(date +%s); exp=0; tok=-; who=
if [ -s "$f" ]; then read -r exp tok who < "$f" || true; fi
case "$exp" in ''|*[!0-9]*) exp=0;; esac
write() { printf '%s %s %s\n' "$((now + $3))" "$2" "$4" > "$f.new" && mv -f "$f.new" "$f"; }
case "$1" in
acquire)
  if [ "$tok" != "$2" ] && [ "$tok" != - ] && [ "$exp" -gt "$now" ]; then echo "HELD $((exp - now)) $who"; exit 0; fi
  if [ "$tok" != "$2" ] && [ "$tok" != - ]; then echo "STALE $((now - exp)) $who"; fi
  write "$@" && echo TAKEN;;
renew) if [ "$tok" = "$2" ]; then write "$@" && echo RENEWED; else echo "LOST $who"; fi;;
release) if [ "$tok" = "$2" ]; then rm -f "$f"; fi; echo RELEASED;;
show) if [ "$tok" = - ]; then echo FREE; else echo "LOCK $((exp - now)) $who"; fi;;
clear) rm -f "$f"; echo CLEARED;;
esac
""".replace("__DIR__", LOCK_DIR).replace("__FILE__", LOCK_FILE)


@dataclass(frozen=True)
class LockState:
    """The lock on one host as read there: free, or held by ``who`` with ``seconds_left`` of lease (<= 0: stale)."""

    host: str
    who: str = ""
    seconds_left: int = 0

    @property
    def held(self) -> bool:
        """Whether someone holds it (a stale lock counts: it is there until taken over or cleared)."""
        return bool(self.who)

    def describe(self) -> str:
        """One line: free, held (lease left) or stale (lease ran out)."""
        if not self.held:
            return f"{self.host}: no fleet lock"
        if self.seconds_left > 0:
            return f"{self.host}: locked by {self.who} (lease runs out in {self.seconds_left} s)"
        return f"{self.host}: stale lock of {self.who} (its lease ran out {-self.seconds_left} s ago)"


def _run(conn: HostConnection, action: str, token: str = "-", lease: float = LEASE, who: str = "-") -> str:
    """One action of the lock script on the host; its one line of answer. A failure names the host and the step."""
    command = f"sh -c {shlex.quote(_SCRIPT)} opsready-lock {action} {token} {max(1, round(lease))} {shlex.quote(who)}"
    step = {"acquire": "taking", "renew": "renewing", "release": "releasing", "show": "reading", "clear": "clearing"}
    try:
        result = conn.run(command)
    except HostError as exc:
        raise HostError(f"{step[action]} the fleet lock failed: {_after_host(exc)}", conn.name, exc.hint) from None
    answer = (result.stdout.strip().splitlines() or [""])[-1]
    if not result.succeeded or not answer or answer == "GUARD":
        reason = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else f"exit {result.exit_status}"
        if answer == "GUARD":
            reason = f"another run held {LOCK_DIR} for 10 s"
        raise HostError(f"{step[action]} the fleet lock ({LOCK_FILE}) failed: {reason}", conn.name)
    return result.stdout.strip()


def _after_host(exc: HostError) -> str:
    prefix = f"host {exc.host}: "
    return exc.message[len(prefix) :] if exc.message.startswith(prefix) else exc.message


def read(conn: HostConnection) -> LockState:
    """The lock on one host, read without taking it."""
    kind, _, rest = _run(conn, "show").partition(" ")
    if kind != "LOCK":
        return LockState(conn.name)
    left, _, who = rest.partition(" ")
    return LockState(conn.name, who or "an unnamed run", int(left))


def clear(conn: HostConnection) -> None:
    """Remove the lock on one host, whoever holds it (for a run known to be dead)."""
    _run(conn, "clear")


def held_by_the_dead(state: LockState) -> bool:
    """Whether the lock's holder was a process of this machine that no longer runs (its pid gone, or reused by a
    process started after the lock was taken): a run that was killed, whose lock need not wait for its lease."""
    found = re.search(r" from (\S+) pid (\d+) since (\S+)$", state.who)
    if found is None or found.group(1) != socket.gethostname():
        return False  # another machine's run, or a line we did not write: only its lease ends it
    try:
        since = dt.datetime.fromisoformat(found.group(3)).timestamp()
    except ValueError:
        return False
    import psutil

    try:
        return float(psutil.Process(int(found.group(2))).create_time()) > since + 1.0
    except psutil.NoSuchProcess:
        return True


def who_am_i(operation: str) -> str:
    """The line a lock says its holder with: operation, machine, pid, start time (UTC). Never a credential."""
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    text = f"'{operation}' from {socket.gethostname()} pid {os.getpid()} since {started}"
    return " ".join(text.split())  # one line


class FleetLock:
    """The lock on every host of ``conns`` (taken in name order), held while the ``with`` block runs."""

    def __init__(
        self,
        conns: Callable[[], list[HostConnection]],
        target: str,
        operation: str,
        lease: float = LEASE,
        say: Say = quiet,
    ) -> None:
        self.conns = conns
        self.target = target
        self.operation = operation
        self.lease = lease
        self.say = say
        self.token = secrets.token_hex(8)
        self.who = who_am_i(operation)
        self.taken: list[HostConnection] = []
        self.lost: list[str] = []
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def acquire(self) -> None:
        """Take the lock on every host, or on none: a host where another run holds it is a UsageError (exit 2)
        naming the host, the holder and how long its lease has left; nothing was changed on the fleet."""
        for conn in sorted(self.conns(), key=lambda c: c.name):
            try:
                answer = _run(conn, "acquire", self.token, self.lease, self.who)
            except HostError:
                self.release()
                raise
            for line in answer.splitlines():
                kind, _, rest = line.partition(" ")
                left, _, holder = rest.partition(" ")
                if kind == "HELD" and held_by_the_dead(LockState(conn.name, holder, int(left or 0))):
                    answer = self._take_over(conn, holder)
                    if answer.startswith("TAKEN"):
                        break
                    kind, _, rest = answer.partition(" ")
                    left, _, holder = rest.partition(" ")
                if kind == "HELD":
                    self.release()
                    raise UsageError(
                        f"host {conn.name}: taking the fleet lock for {self.operation} on target '{self.target}' "
                        f"refused: another run holds it: {holder} (lease runs out in {left} s); nothing was changed",
                        hint="wait for that run to finish; a run that died is taken over once its lease runs out, "
                        "or clear its lock (HostsTarget.clear_lock(), or rm " + LOCK_FILE + " on each host) "
                        "once you know it is dead",
                    )
                if kind == "STALE":
                    self.say(
                        f"{conn.name}: took over the stale fleet lock of {holder} (its lease ran out {left} s ago)"
                    )
            self.taken.append(conn)
        self._renewer = threading.Thread(target=self._renew, name="opsready-fleet-lock", daemon=True)
        self._renewer.start()

    def _take_over(self, conn: HostConnection, holder: str) -> str:
        """Clear the lock of a run of this machine that was killed (it need not wait for its lease) and take it;
        acquire's answer (HELD when another run was quicker)."""
        try:
            _run(conn, "clear")
            answer = _run(conn, "acquire", self.token, self.lease, self.who)
        except HostError:
            self.release()
            raise
        if answer.startswith("TAKEN"):
            self.say(f"{conn.name}: took over the fleet lock of {holder}: that process is gone")
        return answer

    def _renew(self) -> None:
        while not self._stop.wait(self.lease / 4):
            for conn in list(self.taken):
                try:
                    answer = _run(conn, "renew", self.token, self.lease, self.who)
                except HostError as exc:  # the next renewal tries again; the lease outlives a few misses
                    self.say(f"{conn.name}: could not renew the fleet lock: {_after_host(exc)}")
                    continue
                if answer.startswith("LOST") and conn.name not in self.lost:
                    self.lost.append(conn.name)
                    self.say(f"{conn.name}: the fleet lock was taken from this run: {answer[5:]}")

    def release(self) -> None:
        """Stop renewing and remove our lock from every host we took it on (a host we cannot reach keeps it until
        its lease runs out)."""
        self._stop.set()
        if self._renewer is not None and self._renewer is not threading.current_thread():
            self._renewer.join(timeout=30)
        for conn in reversed(self.taken):
            with contextlib.suppress(HostError):
                _run(conn, "release", self.token)
        self.taken.clear()

    def __enter__(self) -> FleetLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class HeldForFaults:
    """The fleet lock one process holds on behalf of several holders (each fault, from inject to revert): taken by
    the first, released by the last; while held, the process's own mutating operations go on under it."""

    def __init__(self, make: Callable[[str], FleetLock]) -> None:
        self._make = make  # a FleetLock for an operation
        self.lock: FleetLock | None = None
        self._holders: set[str] = set()

    def hold(self, holder: str) -> None:
        """``holder`` needs the lock (taken now if this process does not hold it yet)."""
        if self.lock is None:
            lock = self._make(f"fault {holder}")
            lock.acquire()
            self.lock = lock
        self._holders.add(holder)

    def drop(self, holder: str) -> None:
        """``holder`` no longer needs it; the last one releases it (a process that holds none, such as a watchdog
        reverting for a killed run, releases nothing: the next run takes a dead run's lock over)."""
        self._holders.discard(holder)
        if not self._holders:
            self.release()

    def release(self) -> None:
        """Release it whoever still holds it (the target is closing)."""
        self._holders.clear()
        if self.lock is not None:
            held, self.lock = self.lock, None
            held.release()
