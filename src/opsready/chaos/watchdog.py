"""The dead-man watchdog: a detached process per fault that reverts it at its deadline unless the journal says done.

It runs in a session of its own (``start_new_session``), so neither Ctrl-C in a terminal nor SIGKILL of the harness
reaches it. First it opens the target from the same configuration, checks that it is the target whose journal it
watches and that the fault can be rebuilt from its journaled spec and facts, and journals ``armed``: the guard
injects nothing before that record (:func:`await_armed`), and a watchdog that cannot get there exits without it.
Then it reads the journal every :data:`POLL` seconds and exits as soon as the fault is settled; at the deadline it
reverts the fault from the journal. The deadline on its command line is the latest the fault may end; once the fault
is applied, the earlier deadline of the ``applied`` record (injection time plus time limit) takes over.

``python -m opsready.chaos.watchdog --journal J --fault ID --deadline EPOCH --config C --target T``
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from opsready.chaos.journal import append_record, now_iso, reverting_lock
from opsready.chaos.readback import read_journal
from opsready.chaos.revert import revert_fault
from opsready.errors import EnvironmentProblem, OpsreadyError
from opsready.targets.faults import FaultInjectable

POLL = 0.5
ARM_TIMEOUT = 15.0  # arming took 1-2.3 s with a load average of 10 on 2 cores: this bound is for worse
EXIT_NOT_ARMED = 2
_children: dict[int, subprocess.Popen[bytes]] = {}


class NotArmed(EnvironmentProblem):
    """A fault's dead-man watchdog could not be armed, so the fault was not injected."""


def start(journal: Path, fault_id: str, deadline: float, config: Path, target: str) -> int:
    """Start the watchdog of one fault, detached; returns its pid (wait for it with :func:`await_armed`)."""
    log = log_path(journal)
    argv = [sys.executable, "-m", "opsready.chaos.watchdog", "--journal", str(journal), "--fault", fault_id]
    argv += ["--deadline", f"{deadline:.3f}", "--config", str(config), "--target", target]
    with log.open("ab") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)
    _children[proc.pid] = proc
    return proc.pid


def stop(pid: int, timeout: float = 2.0) -> None:
    """Stop a watchdog this process started (its fault is reverted) and reap it."""
    proc = _children.pop(pid, None)
    if proc is None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


def abort(pid: int) -> None:
    """Kill a watchdog this process started that never armed (its fault is not injected) and reap it."""
    proc = _children.pop(pid, None)
    if proc is None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.kill()  # our own unreaped child: the pid cannot have been reused
    proc.wait()


def log_path(journal: Path) -> Path:
    """Where the watchdogs of a journal write what they do."""
    return journal.with_suffix(".watchdog.log")


def _last_words(journal: Path, fault_id: str) -> str:
    try:
        lines = log_path(journal).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    own = [line for line in lines if f"fault {fault_id}:" in line]
    return own[-1].split("watchdog: ", 1)[-1] if own else ""


def await_armed(journal: Path, fault_id: str, pid: int, timeout: float = ARM_TIMEOUT) -> None:
    """Wait until the watchdog ``pid`` (started by :func:`start`) journals ``armed`` for ``fault_id``.

    Raises :class:`NotArmed` when it exits first or does not arm within ``timeout`` seconds; the caller then
    stops it with :func:`abort` and injects nothing."""
    proc = _children.get(pid)
    deadline = time.monotonic() + timeout
    while True:
        entry = read_journal(journal).fault(fault_id)
        if entry is not None and entry.armed:
            return
        code = proc.poll() if proc is not None else None
        if proc is None or code is not None or time.monotonic() >= deadline:
            break
        time.sleep(0.02)
    if proc is None:
        what = "is not a watchdog this process started"
    elif code is not None:
        what = f"exited with code {code} before it was armed"
    else:
        what = f"was not armed within {timeout:g} s"
    words = _last_words(journal, fault_id)
    raise NotArmed(
        f"its dead-man watchdog (pid {pid}) {what}" + (f": {words}" if words else ""),
        hint=f"the watchdog's log is {log_path(journal)}",
    )


def _log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} watchdog: {message}", flush=True)


def _watch(journal: Path, fault_id: str, deadline: float) -> float | None:
    """None once the fault is settled, else its deadline (never later than the one it was started with)."""
    entry = read_journal(journal).fault(fault_id)
    if entry is None:
        return deadline  # unreadable for a moment (or for good: then the deadline stands)
    return None if entry.settled else min(deadline, entry.deadline)


def _open(config_path: Path, target_name: str) -> FaultInjectable:
    from opsready.config import load_config
    from opsready.targets.faults import faults_of
    from opsready.targets.registry import open_target

    target = faults_of(open_target(load_config(config_path), target_name))
    target.fault_kinds()  # loads everything a revert needs now, so the deadline is not spent importing
    return target


def _ready(journal: Path, fault_id: str, target: FaultInjectable) -> None:
    """Check that a revert of the fault on ``target`` can be done from the journal, as it will be at the deadline."""
    from opsready.targets.faults import revalidate

    own_dir = target.fault_journal_dir().resolve()
    if own_dir != journal.parent.resolve():
        raise NotArmed(
            f"the target it opened keeps its fault journals in {own_dir}, not in {journal.parent}: "
            "it is not the target this fault would be injected on"
        )
    entry = read_journal(journal).fault(fault_id)
    if entry is None or entry.spec is None:
        raise NotArmed(f"fault {fault_id} cannot be read from {journal}")
    spec = revalidate(target.fault_kinds(), entry.spec, str(journal))
    target.fault(spec, fault_id, entry.facts)


def arm(journal: Path, fault_id: str, config_path: Path, target_name: str) -> FaultInjectable:
    """Open the target, check the fault can be reverted on it, and journal ``armed``; raises when it cannot."""
    target = _open(config_path, target_name)
    _ready(journal, fault_id, target)
    append_record(
        journal, {"record": "armed", "fault": fault_id, "pid": os.getpid(), "at": now_iso(), "t": time.time()}
    )
    return target


def expire(journal: Path, fault_id: str, config_path: Path, target_name: str, target: FaultInjectable | None) -> int:
    """Revert the fault now, from the journal, with every newer fault of its run first (newest first: a later
    fault may depend on an earlier one still being in place); 0 when all of them are reverted, 1 otherwise."""
    from opsready.targets.faults import revalidate

    with reverting_lock(journal):  # other watchdogs of this run, recover and the harness wait their turn
        view = read_journal(journal)
        own = view.fault(fault_id)
        if own is None or own.spec is None:
            _log(f"fault {fault_id} cannot be read from {journal}: run `opsready recover`")
            return 1
        due = [f for f in view.open_faults if f.line >= own.line]
        failed = 0
        for entry in reversed(due):
            if entry.spec is None:
                _log(f"fault {entry.fault_id} cannot be read from {journal}: run `opsready recover`")
                failed += 1
                continue
            if strangers := entry.strangers():  # a pid in its facts is now another process: never signal it
                _log(f"refusing to revert fault {entry.fault_id}: {'; '.join(strangers)}; run `opsready recover`")
                failed += 1
                continue
            try:
                target = target or _open(config_path, target_name)
                spec = revalidate(target.fault_kinds(), entry.spec, str(journal))
                fault = target.fault(spec, entry.fault_id, entry.facts)
                observation = revert_fault(fault, journal, entry.fault_id, "dead-man", say=_log)
            except OpsreadyError as exc:
                _log(f"fault {entry.fault_id} could not be reverted: {exc}")
                failed += 1
                continue
            _log(f"fault {entry.fault_id} ({spec.kind}) expired and was reverted: {observation.describe()}")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Wait for the deadline (or the journal to say reverted), then revert."""
    parser = argparse.ArgumentParser(prog="python -m opsready.chaos.watchdog", description=__doc__)
    parser.add_argument("--journal", required=True, type=Path)
    parser.add_argument("--fault", required=True)
    parser.add_argument("--deadline", required=True, type=float)
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--target", required=True)
    args = parser.parse_args(argv)
    # the harness stops its watchdog once the fault is reverted; SIGINT cannot reach this session, ignore it anyway
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 PID` writes its stacks to the log, should one ever hang
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        target = arm(args.journal, args.fault, args.config, args.target)
    except (OpsreadyError, OSError) as exc:  # the guard sees no `armed` record and injects nothing
        _log(f"fault {args.fault}: not armed: {exc}")
        return EXIT_NOT_ARMED
    _log(f"fault {args.fault}: armed (target '{args.target}' from {args.config}), deadline {args.deadline:.3f}")
    deadline: float | None = args.deadline
    while deadline is not None and time.time() < deadline:
        time.sleep(max(0.0, min(POLL, deadline - time.time())))
        deadline = _watch(args.journal, args.fault, deadline)
    if deadline is None:
        return 0
    _log(f"fault {args.fault} reached its time limit")
    return expire(args.journal, args.fault, args.config, args.target, target)


if __name__ == "__main__":
    sys.exit(main())
