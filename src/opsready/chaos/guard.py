"""The always-revert runner: injects faults through the journal, and reverts every one of them on every outcome.

For each fault, in one section no signal can cut (:meth:`Shield.critical`): check it can be injected and get its
facts, journal the intent (fsync'd), start its dead-man watchdog and wait until it journals ``armed`` (it has opened
the target and can revert the fault), inject, journal it applied, mark the timeline. A watchdog that does not arm
means the fault is not injected: it is journaled ``not_applied`` and :class:`NotArmed` is raised.

Reverts go through :func:`revert_fault` (own timeout, retries, verification by probe), newest fault first, one at a
time under a lock. Every fault is attempted whatever happens to the others; a fault the dead-man watchdog (or
recover) already reverted is reported as such, not reverted again. The journal is closed only when every fault is
reverted and recorded; otherwise it stays open for ``opsready recover``.

On SIGINT or SIGTERM the shield wakes the guard's *reverter thread* through a pipe (the only thing a signal handler
may safely do) and the revert starts at once, in a thread no signal can interrupt, while the main thread unwinds;
every later revert (the opsready control, the caller's ``finally``, ``atexit``) waits for it. The dead-man watchdogs
are the last resort if the whole process dies.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from opsready.chaos import watchdog
from opsready.chaos.journal import FaultJournal, reverting_lock
from opsready.chaos.readback import read_journal
from opsready.chaos.revert import RevertFailed, revert_fault
from opsready.chaos.shield import Shield
from opsready.chaos.watchdog import NotArmed
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
    reverted_at: str = ""  # when someone else (the dead-man, recover) reverted it before the guard got to it


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
        arm_timeout: float = watchdog.ARM_TIMEOUT,
    ) -> None:
        self.target = target
        self.journal = journal
        self.config_path = config_path
        self.target_name = target_name
        self.timeline = timeline
        self.say = say
        self.arm_timeout = arm_timeout
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
        """Inject one fault (journal first, watchdog armed); returns its id. Raises :class:`NotArmed`, with
        nothing injected, when its dead-man watchdog cannot be armed."""
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
            # the time limit counts from the injection; until then the watchdog holds to the latest it could end
            bound = time.time() + self.arm_timeout + spec.time_limit
            self.journal.intent(fault_id, name, spec, facts, bound)
            pid = self._arm_watchdog(fault_id, name, bound)
            # a watchdog at its deadline takes this lock to revert: it waits until the fault is fully in place
            with reverting_lock(self.journal.path):
                deadline = min(time.time() + spec.time_limit, bound)
                late = self._too_late(fault_id, deadline)
                if late:
                    self._not_applied(fault_id, name, pid, late)
                active = _Active(fault_id, name, fault, pid)
                self._active[fault_id] = active
                self._tell(f"injecting {name}: {fault.describe()}")
                fault.inject(deadline)
                active.injected = True
                self.journal.write("applied", fault=fault_id, deadline=deadline)  # the watchdog's from now on
            if self.timeline is not None:
                self.timeline.mark("injected", f"{name}: {spec.describe()}")
        return fault_id

    def _arm_watchdog(self, fault_id: str, name: str, deadline: float) -> int:
        pid = watchdog.start(self.journal.path, fault_id, deadline, self.config_path, self.target_name)
        try:
            self.journal.write("watchdog", fault=fault_id, pid=pid)
            watchdog.await_armed(self.journal.path, fault_id, pid, self.arm_timeout)
        except NotArmed as exc:
            self._not_applied(fault_id, name, pid, exc.message)
        except BaseException:
            watchdog.abort(pid)  # nothing was injected; the journaled intent alone is harmless to revert
            raise
        return pid

    def _too_late(self, fault_id: str, deadline: float) -> str:
        """Why the fault must not be injected any more, if it must not: once its time limit has run out, or once a
        watchdog expiring at an older fault's time limit has reverted the run's newer faults, this one included,
        nothing would revert it again."""
        if time.time() >= deadline:
            return "the latest time it could end passed while its dead-man watchdog was being armed"
        entry = read_journal(self.journal.path).fault(fault_id)
        if entry is None or entry.status != "intent":
            shows = "no readable intent for it" if entry is None else f"it {entry.status} by {entry.reverted_by}"
            return f"the journal already shows {shows} before it could be injected"
        return ""

    def _not_applied(self, fault_id: str, name: str, pid: int, reason: str) -> NoReturn:
        watchdog.abort(pid)
        self.journal.write("not_applied", fault=fault_id, reason=reason)
        self._tell(f"not injecting {name}: {reason}")
        raise NotArmed(
            f"fault '{name}' was not injected: {reason}",
            hint=f"nothing was changed on the target; the watchdog's log is {watchdog.log_path(self.journal.path)}",
        )

    def revert(self, name: str, by: str = "harness") -> Observation | None:
        """Revert one fault by name (None when no such fault is applied: reverting is idempotent)."""
        with self.shield.reverting(), self._lock:
            active = next((a for a in self._active.values() if a.name == name), None)
            if active is None:
                observation = None
            else:
                record, observation = self._revert(active, by)
                if record.error:
                    raise RevertFailed(record.error, hint=_RETRY)
        self._settle()
        return observation

    def revert_all(self, by: str = "harness", settle: bool = True) -> tuple[FaultRecord, ...]:
        """Revert every applied fault, newest first, each one whatever happened to the others; then raise one
        :class:`RevertFailed` naming every fault that failed.

        Afterwards a signal that was held back is passed on, unless ``settle`` is False (the caller reads it from
        the shield instead)."""
        failed: list[FaultRecord] = []
        with self.shield.reverting(), self._lock:  # waits for a revert the reverter thread is doing
            for active in reversed(list(self._active.values())):
                record, _ = self._revert(active, by)
                if record.error:
                    failed.append(record)
        if settle:
            self._settle()
        if failed:
            names = ", ".join(f"{r.name} ({r.fault_id})" for r in failed)
            details = "; ".join(r.error for r in failed)
            raise RevertFailed(f"{len(failed)} fault(s) not reverted: {names}: {details}", hint=_RETRY)
        return self.records

    def _revert(self, active: _Active, by: str) -> tuple[FaultRecord, Observation | None]:
        started = time.monotonic()
        del self._active[active.fault_id]  # whatever the outcome, this run has done what it can for it
        try:
            with reverting_lock(self.journal.path):
                earlier = self._reverted_earlier(active)
                if earlier is not None:
                    return self._already_reverted(active, *earlier), earlier[1]
                observation = revert_fault(active.fault, self.journal.path, active.fault_id, by, say=self._tell)
        except Exception as exc:  # any failure of one fault must not keep the others on the target
            return self._failed(active, by, exc), None
        self._stop_watchdog(active)
        if self.timeline is not None:
            self.timeline.mark("reverted", f"{active.name}: {observation.describe()}")
        self._tell(f"reverted {active.name} ({by}) in {time.monotonic() - started:.2f} s: {observation.describe()}")
        record = FaultRecord(
            active.fault_id, active.name, active.fault.spec, active.injected, by, observation.describe()
        )
        self._done.append(record)
        return record, observation

    def _reverted_earlier(self, active: _Active) -> tuple[str, Observation, float | None] | None:
        """Who reverted the fault before the guard got to it (its watchdog at the time limit, recover), with a
        fresh check that it is still gone; None when the guard must revert it itself."""
        entry = read_journal(self.journal.path).fault(active.fault_id)
        if entry is None or entry.status != "reverted":
            return None
        try:
            observation = active.fault.verify_reverted()
        except Exception:  # reverting it again checks it again
            return None
        return (entry.reverted_by, observation, entry.reverted_at) if observation.ok else None

    def _already_reverted(self, active: _Active, by: str, observation: Observation, at: float | None) -> FaultRecord:
        when = "an unknown time" if at is None else _iso(at)
        who = "the dead-man" if by == "dead-man" else by
        self._stop_watchdog(active)
        if self.timeline is not None:
            monotonic = None if at is None else time.monotonic() - max(0.0, time.time() - at)
            self.timeline.mark("reverted", f"{active.name}: reverted by {who} at {when}", at=monotonic)
        self._tell(f"{active.name} was already reverted by {who} at {when}; still reverted: {observation.describe()}")
        record = FaultRecord(
            active.fault_id, active.name, active.fault.spec, active.injected, by, observation.describe(), "", when
        )
        self._done.append(record)
        return record

    def _failed(self, active: _Active, by: str, exc: Exception) -> FaultRecord:
        if isinstance(exc, RevertFailed):
            error = exc.message  # revert_fault journaled it (or said why it could not)
        else:
            error = (
                f"fault {active.fault_id} ({active.fault.spec.kind}) could not be reverted: {type(exc).__name__}: {exc}"
            )
            try:
                self.journal.write("revert_failed", fault=active.fault_id, by=by, detail=error[:300])
            except OSError as again:
                error += f" (and the journal could not record that: {type(again).__name__}: {again})"
        record = FaultRecord(active.fault_id, active.name, active.fault.spec, active.injected, error=error)
        self._done.append(record)
        self._tell(f"{error}; its dead-man watchdog stays armed")
        return record

    def _stop_watchdog(self, active: _Active) -> None:
        if active.watchdog_pid is None:
            return
        try:
            watchdog.stop(active.watchdog_pid)
        except Exception as exc:  # the fault is reverted; a watchdog left running exits once the journal says so
            self._tell(f"the watchdog of {active.name} (pid {active.watchdog_pid}) could not be stopped: {exc}")

    def _tell(self, message: str) -> None:
        with contextlib.suppress(OSError):  # a closed terminal or pipe must not stop a revert
            self.say(message)

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
                self._tell(f"{exc}; run: opsready recover")
            except Exception as exc:  # the reverter must outlive anything a revert throws; the watchdogs still guard
                self._tell(f"revert after a signal failed: {type(exc).__name__}: {exc}")

    def close(self) -> None:
        """End the run: revert anything left, journal it closed only when every fault was reverted and recorded
        (else it stays open for ``opsready recover``), give the signals back (a signal that arrived meanwhile is
        left in :attr:`Shield.received` for the caller). Raises :class:`RevertFailed` naming what it could not
        revert."""
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
                self._close_journal()
            self.shield.release()

    def _close_journal(self) -> None:
        left = [r.name for r in self._done if r.error] + [a.name for a in self._active.values()]
        if left:
            self._tell(f"{self.journal.path} stays open for `opsready recover`: not reverted: {', '.join(left)}")
            return
        try:
            self.journal.write("closed", faults=len(self._done))
        except OSError as exc:  # every fault is reverted and recorded; recover has nothing to do for this run
            self._tell(f"{self.journal.path} could not be marked closed: {exc}")

    def _at_exit(self) -> None:
        # the process is exiting with faults applied (a plain `chaos run` without our control, say)
        try:
            self.revert_all(by="atexit", settle=False)
        except RevertFailed as exc:
            self._tell(f"{exc}; run: opsready recover")


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_RETRY = "the dead-man watchdog retries at the time limit, or run: opsready recover"
