"""The fault journal: one JSON-lines file per run, written durably before and after every change to the target.

Records (one JSON object per line, each written with a single ``write`` on an ``O_APPEND`` descriptor and fsync'd):

- ``run``: who runs what (pid, its start time and command line, experiment, target, configuration);
- ``intent``: a fault about to be injected: id, name, spec, facts for its revert, the latest it may end (its time
  limit counts from the injection, which waits for its watchdog), and the identity (pid, start time, command line)
  of every process its facts name (``pid``, ``pgid``, ``*_pid``, ``*_pgid``). Written *before* the target is
  touched, so a crash during the injection still leaves a record to revert from;
- ``watchdog``: the pid of the fault's dead-man watchdog;
- ``armed``: written by the watchdog once it has opened the target and can revert the fault; nothing is injected
  before it;
- ``not_applied``: the fault was never injected (its watchdog did not arm, or its time limit ran out first), why;
- ``applied`` (with its deadline: injection time plus time limit), ``reverting`` (one per attempt), ``reverted``
  (with the probe that verified it), ``revert_failed``;
- ``acknowledged``: unreadable lines a person has dealt with (``opsready recover --acknowledge``);
- ``closed``: the run ended with every fault reverted (a run that could not revert or record them all stays open,
  for ``opsready recover``).

An ``index.jsonl`` beside the journals lists the runs; readers also glob the directory, so a damaged index loses
nothing. Reading is tolerant: a truncated or corrupt line is reported as :class:`Unreadable`, never raised.

A journal read back may be stale or damaged: a pid in it is trusted only while the live process has the identity
journaled with it (:meth:`FaultEntry.strangers`), so no reader ever signals a process that is not the one journaled.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opsready.processes import ProcessIdentity
from opsready.targets.faults import Facts, FaultSpec

INDEX = "index.jsonl"
SETTLED = ("reverted", "not_applied")


def now_iso() -> str:
    """Wall clock, ISO 8601 UTC with milliseconds."""
    return datetime.now(tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def names_process(fact: str) -> bool:
    """Whether a fact (by its name) names a process or process group that a revert may signal."""
    return fact in ("pid", "pgid") or fact.endswith(("_pid", "_pgid"))


def identities(facts: Facts) -> dict[str, object]:
    """The identity of each live process the facts name, for the intent record (None: no such process now)."""
    found: dict[str, object] = {}
    for name, value in facts:
        if names_process(name) and value.isdigit() and int(value) > 0:
            identity = ProcessIdentity.of(int(value))
            found[name] = identity.to_json() if identity is not None else None
    return found


def new_run_id() -> str:
    """'20261127T041535Z-12345-a1b2': sortable by time, unique across processes."""
    return f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{os.getpid()}-{secrets.token_hex(2)}"


def append_record(path: Path, record: dict[str, Any]) -> None:
    """Append one record durably (one write on an O_APPEND descriptor, then fsync)."""
    line = (json.dumps(record, sort_keys=True, default=str) + "\n").encode()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line  # a torn last line stays one unreadable line instead of swallowing this record
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def reverting_lock(journal: Path) -> Iterator[None]:
    """Serialise reverts of one run's faults across processes (harness, watchdogs, recover), so that they happen
    one at a time and newest first, never two at once on the same target."""
    with journal.with_suffix(".lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class RunInfo:
    """Who wrote a journal."""

    run_id: str
    pid: int
    pid_start: float | None  # seconds since boot (processes.process_start)
    started: str
    experiment: str
    target: str
    config: str
    pid_cmdline: tuple[str, ...] = ()

    def alive(self) -> bool:
        """Whether the process that wrote the journal still runs (same pid, start time and command line)."""
        if self.pid_start is None:
            return False
        live = ProcessIdentity.of(self.pid)
        return (
            live is not None
            and live.started == self.pid_start
            and (not self.pid_cmdline or live.cmdline == self.pid_cmdline)
        )


class FaultJournal:
    """The journal of one run, for the process that runs it (other processes use :func:`append_record`)."""

    def __init__(self, path: Path, run: RunInfo) -> None:
        self.path = path
        self.run = run

    @classmethod
    def create(cls, directory: Path, experiment: str, target: str, config: str) -> FaultJournal:
        """Start a new journal (and index it) for this process."""
        directory.mkdir(parents=True, exist_ok=True)
        run_id = new_run_id()
        me = ProcessIdentity.of(os.getpid())
        started, argv = (me.started, me.cmdline) if me is not None else (None, ())
        run = RunInfo(run_id, os.getpid(), started, now_iso(), experiment, target, config, argv)
        journal = cls(directory / f"{run_id}.jsonl", run)
        journal.write("run", **{k: v for k, v in vars(run).items() if k != "run_id"})
        _fsync_dir(directory)
        append_record(directory / INDEX, {"run": run_id, "journal": journal.path.name, "started": run.started})
        return journal

    def write(self, record: str, **fields: Any) -> None:
        """Append one record."""
        append_record(
            self.path, {"record": record, "run": self.run.run_id, "at": now_iso(), "t": time.time(), **fields}
        )

    def intent(self, fault_id: str, name: str, spec: FaultSpec, facts: Facts, deadline: float) -> None:
        """Before a fault touches the target (with the identity of every process its facts name)."""
        self.write(
            "intent",
            fault=fault_id,
            name=name,
            spec=spec.to_json(),
            facts=dict(facts),
            deadline=deadline,
            processes=identities(facts),
        )


@dataclass(frozen=True)
class Unreadable:
    """A journal line that could not be understood."""

    path: Path
    line: int
    reason: str
    text: str

    @property
    def where(self) -> str:
        """'path:line'."""
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class FaultEntry:
    """Everything a journal says about one fault."""

    fault_id: str
    name: str
    spec: FaultSpec | None
    facts: Facts
    deadline: float
    line: int
    status: str  # intent | not_applied | applied | reverting | reverted | revert_failed
    reverted_by: str = ""
    detail: str = ""
    watchdog_pid: int | None = None
    problem: str = ""  # why it cannot be reverted from the journal (its intent was unreadable, ...)
    processes: tuple[tuple[str, ProcessIdentity], ...] = ()  # identities journaled for the facts naming processes
    armed: bool = False  # its watchdog journaled that it can revert it
    reverted_at: float | None = None  # epoch seconds of the verified revert
    intent_at: float | None = None  # epoch seconds of its intent record (nothing of it can have started earlier)

    @property
    def settled(self) -> bool:
        """Whether nothing is left to do for this fault."""
        return self.status in SETTLED

    def strangers(self) -> tuple[str, ...]:
        """Why a revert from this entry could signal a process that is not ours: each fact naming a live process
        other than the one journaled with it (or a value that is no pid at all). Empty when none does."""
        journaled = dict(self.processes)
        found = []
        for name, value in self.facts:
            if not names_process(name) or value in ("", "0"):
                continue
            if not value.isdigit():
                found.append(f"{name}={value!r} is not a pid")
                continue
            live = ProcessIdentity.of(int(value))
            if live is None:
                continue  # gone: a revert finds nothing of it to signal
            recorded = journaled.get(name)
            if recorded != live:
                was = recorded.describe() if recorded is not None else "no identity was journaled"
                found.append(f"{name}={value} is now {live.describe()}, not the process journaled ({was})")
        return tuple(found)


@dataclass(frozen=True)
class JournalView:
    """A journal as read back: its run, its faults in injection order, and what could not be read."""

    path: Path
    run: RunInfo | None
    faults: tuple[FaultEntry, ...]
    unreadable: tuple[Unreadable, ...] = ()
    acknowledged: frozenset[int] = field(default_factory=frozenset)
    closed: bool = False

    def fault(self, fault_id: str) -> FaultEntry | None:
        """One fault by id."""
        return next((f for f in self.faults if f.fault_id == fault_id), None)

    @property
    def open_faults(self) -> tuple[FaultEntry, ...]:
        """Faults not (yet) reverted."""
        return tuple(f for f in self.faults if not f.settled)

    @property
    def unacknowledged(self) -> tuple[Unreadable, ...]:
        """Unreadable lines nobody has dealt with."""
        return tuple(u for u in self.unreadable if u.line not in self.acknowledged)
