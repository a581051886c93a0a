"""The dead-man watchdog: a detached process per fault that reverts it at its deadline unless the journal says done.

It runs in a session of its own (``start_new_session``), so neither Ctrl-C in a terminal nor SIGKILL of the harness
reaches it. It reads the journal every :data:`POLL` seconds and exits as soon as the fault is marked reverted; at the
deadline it opens the target from the same configuration and reverts the fault from the journaled spec and facts.

``python -m opsready.chaos.watchdog --journal J --fault ID --deadline EPOCH --config C --target T``
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from opsready.chaos.journal import reverting_lock
from opsready.chaos.readback import read_journal
from opsready.chaos.revert import revert_fault
from opsready.errors import OpsreadyError
from opsready.targets.faults import FaultInjectable

POLL = 0.5
_children: dict[int, subprocess.Popen[bytes]] = {}


def start(journal: Path, fault_id: str, deadline: float, config: Path, target: str) -> int:
    """Start the watchdog of one fault, detached; returns its pid."""
    log = journal.with_suffix(".watchdog.log")
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


def _log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} watchdog: {message}", flush=True)


def _settled(journal: Path, fault_id: str) -> bool:
    entry = read_journal(journal).fault(fault_id)
    return entry is not None and entry.settled


def _open(config_path: Path, target_name: str) -> FaultInjectable:
    from opsready.config import load_config
    from opsready.targets.faults import faults_of
    from opsready.targets.registry import open_target

    target = faults_of(open_target(load_config(config_path), target_name))
    target.fault_kinds()  # loads everything a revert needs now, so the deadline is not spent importing
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
    target: FaultInjectable | None = None
    try:
        target = _open(args.config, args.target)
    except OpsreadyError as exc:  # tried again at the deadline, when it may work (a config being edited, ...)
        _log(f"cannot open target '{args.target}' yet: {exc}")
    while time.time() < args.deadline:
        if _settled(args.journal, args.fault):
            return 0
        time.sleep(max(0.0, min(POLL, args.deadline - time.time())))
    _log(f"fault {args.fault} reached its time limit")
    return expire(args.journal, args.fault, args.config, args.target, target)


if __name__ == "__main__":
    sys.exit(main())
