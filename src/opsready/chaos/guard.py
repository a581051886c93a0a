"""The always-revert runner: injects faults through the journal, and reverts every one of them on every outcome.

For each fault, in one section no signal can cut (:meth:`Shield.critical`): check it can be injected and get its
facts, journal the intent (fsync'd), start its dead-man watchdog, inject, journal it applied, mark the timeline.

Reverts go through :func:`revert_fault` (own timeout, retries, verification by probe), newest fault first, one at a
time under a lock. On SIGINT or SIGTERM the shield wakes the guard's *reverter thread* through a pipe (the only
thing a signal handler may safely do) and the revert starts at once, in a thread no signal can interrupt, while the
main thread unwinds; every later revert (the opsready control, the caller's ``finally``, ``atexit``) waits for it.
The dead-man watchdogs are the last resort if the whole process dies.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from opsready.chaos import watchdog
from opsready.chaos.journal import FaultJournal, reverting_lock
from opsready.chaos.revert import RevertFailed, revert_fault
from opsready.chaos.shield import Shield
from opsready.errors import UsageError
from opsready.observation import Observation
from opsready.targets.faults import Fault, FaultInjectable, FaultSpec
from opsready.timeline import Timeline

Say = Callable[[str], None]
_WAKE, _QUIT = b"!", b"q"


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class FaultRecord:
    """One fault of a run as the guard saw it."""

    fault_id: str
    name: str
    spec: FaultSpec
    injected: bool
    reverted_by: str = ""
    verified: str = ""
    error: str = ""


@dataclass
class _Active:
    fault_id: str
    name: str
    fault: Fault
    watchdog_pid: int | None
    injected: bool = False


class FaultGuard:
    """Owns the faults of one run: the journal, the watchdogs, the signal shield and the reverts."""

    def __init__(
        self,
        target: FaultInjectable,
        journal: FaultJournal,
        config_path: Path,
        target_name: str,
        *,
        timeline: Timeline | None = None,
        say: Say = _quiet,
        shield: Shield | None = None,
    ) -> None:
        self.target = target
        self.journal = journal
        self.config_path = config_path
        self.target_name = target_name
        self.timeline = timeline
        self.say = say
        self.keep_armed = False  # the runner holds the shield for the whole run, not only while faults are applied
        self._lock = threading.RLock()
        self._active: dict[str, _Active] = {}
        self._done: list[FaultRecord] = []
        self._count = 0
        self._closed = False
        self._wake_r, self._wake_w = os.pipe()
        self.shield = shield or Shield()
        self.shield.on_interrupt = self._wake
        self._reverter = threading.Thread(target=self._reverter_loop, name="opsready-reverter", daemon=True)
        self._reverter.start()
        atexit.register(self._at_exit)

    @property
    def active(self) -> tuple[str, ...]:
        """Names of faults not reverted yet, oldest first."""
        with self._lock:
            return tuple(a.name for a in self._active.values())

    @property
    def records(self) -> tuple[FaultRecord, ...]:
        """Faults reverted (or given up on) so far, in the order that happened."""
        with self._lock:
            return tuple(self._done)

    def inject(self, name: str, spec: FaultSpec) -> str:
        """Inject one fault (journal first, watchdog armed); returns its id."""
        self.shield.arm()
        with self.shield.critical(), self._lock:
            if self._closed:
                raise UsageError("this run is over: no more faults can be injected")
            if any(a.name == name for a in self._active.values()):
                raise UsageError(f"a fault named '{name}' is already applied in this run")
            self._count += 1
            fault_id = f"{self.journal.run.run_id}-{self._count}"
            facts = self.target.fault(spec, fault_id).prepare()  # read-only: refusing here changes nothing
            fault = self.target.fault(spec, fault_id, facts)
            deadline = time.time() + spec.time_limit
            self.journal.intent(fault_id, name, spec, facts, deadline)
            active = _Active(fault_id, name, fault, None)
            self._active[fault_id] = active
            active.watchdog_pid = watchdog.start(
                self.journal.path, fault_id, deadline, self.config_path, self.target_name
            )
            self.journal.write("watchdog", fault=fault_id, pid=active.watchdog_pid)
            self.say(f"injecting {name}: {fault.describe()}")
            fault.inject(deadline)
            active.injected = True
            self.journal.write("applied", fault=fault_id)
            if self.timeline is not None:
                self.timeline.mark("injected", f"{name}: {spec.describe()}")
        return fault_id

    def revert(self, name: str, by: str = "harness") -> Observation | None:
        """Revert one fault by name (None when no such fault is applied: reverting is idempotent)."""
        with self.shield.reverting(), self._lock:
            active = next((a for a in self._active.values() if a.name == name), None)
            observation = self._revert(active, by) if active is not None else None
        self._settle()
        return observation

    def revert_all(self, by: str = "harness", settle: bool = True) -> tuple[FaultRecord, ...]:
        """Revert every applied fault, newest first, whatever happens; raises :class:`RevertFailed` at the end.

        Afterwards a signal that was held back is passed on, unless ``settle`` is False (the caller reads it from
        the shield instead)."""
        failures: list[str] = []
        with self.shield.reverting(), self._lock:  # waits for a revert the reverter thread is doing
            for active in reversed(list(self._active.values())):
                try:
                    self._revert(active, by)
                except RevertFailed as exc:
                    failures.append(str(exc))
        if settle:
            self._settle()
        if failures:
            raise RevertFailed(
                "; ".join(failures), hint="the dead-man watchdog retries at the time limit, or run: opsready recover"
            )
        return self.records

    def _revert(self, active: _Active, by: str) -> Observation:
        started = time.monotonic()
        del self._active[active.fault_id]  # whatever the outcome, this run has done what it can for it
        try:
            with reverting_lock(self.journal.path):
                observation = revert_fault(active.fault, self.journal.path, active.fault_id, by, say=self.say)
        except RevertFailed as exc:  # its watchdog stays armed and retries at the time limit
            self._done.append(
                FaultRecord(active.fault_id, active.name, active.fault.spec, active.injected, error=str(exc))
            )
            raise
        if active.watchdog_pid is not None:
            watchdog.stop(active.watchdog_pid)
        if self.timeline is not None:
            self.timeline.mark("reverted", f"{active.name}: {observation.describe()}")
        self.say(f"reverted {active.name} ({by}) in {time.monotonic() - started:.2f} s: {observation.describe()}")
        record = FaultRecord(
            active.fault_id, active.name, active.fault.spec, active.injected, by, observation.describe()
        )
        self._done.append(record)
        return observation

    def _settle(self) -> None:
        with self._lock:
            remaining = bool(self._active)
        if remaining or self.keep_armed:
            self.shield.flush()
        else:
            self.shield.disarm()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # runs inside a signal handler: a write to a pipe, nothing else
            os.write(self._wake_w, _WAKE)

    def _reverter_loop(self) -> None:
        while True:
            try:
                data = os.read(self._wake_r, 1)
            except OSError:
                return
            if not data or data == _QUIT:
                return
            try:
                self.revert_all(by="signal", settle=False)  # signal handlers are the main thread's business
            except RevertFailed as exc:
                self.say(f"{exc}; run: opsready recover")
            except Exception as exc:  # the reverter must outlive anything a revert throws; the watchdogs still guard
                self.say(f"revert after a signal failed: {type(exc).__name__}: {exc}")

    def close(self) -> None:
        """End the run: revert anything left, journal it closed when every fault was reverted, give the signals
        back (a signal that arrived meanwhile is left in :attr:`Shield.received` for the caller)."""
        if self._closed:
            return
        self.keep_armed = False
        try:
            self.revert_all(settle=False)
        finally:
            with self.shield.reverting():  # a signal now must not cut the bookkeeping short either
                with self._lock:
                    self._closed = True
                atexit.unregister(self._at_exit)
                with contextlib.suppress(OSError):
                    os.write(self._wake_w, _QUIT)
                if self._reverter is not threading.current_thread():
                    self._reverter.join(5.0)
                self.shield.on_interrupt = None  # its pipe is about to close (and the fd number be reused)
                for fd in (self._wake_r, self._wake_w):
                    with contextlib.suppress(OSError):
                        os.close(fd)
                if not any(r.error for r in self._done):
                    self.journal.write("closed", faults=len(self._done))
            self.shield.release()

    def _at_exit(self) -> None:
        # the process is exiting with faults applied (a plain `chaos run` without our control, say)
        try:
            self.revert_all(by="atexit", settle=False)
        except RevertFailed as exc:
            self.say(f"{exc}; run: opsready recover")
