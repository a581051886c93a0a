"""Reconcile a target with its fault journals when it starts: what the journals say is over is reverted, what is open
and still in time is reported.

Some faults outlive a restart of what they are applied to (a sandbox proxy keeps its toxics in a state file and
applies them when it starts). A restart must not bring back a fault the journal says is over, nor drop one that is
still running in silence. So on start: an open fault past its deadline is reverted as ``opsready recover`` would
(:func:`opsready.chaos.recover.revert_entry`, journaled as reverted by ``reconcile``); an open fault still in time is
reported (its run, or its dead-man watchdog, ends it); and, when asked (a proxy starting with toxics), a fault the
journal shows reverted or never applied but that the target still shows is reverted again.

``python -m opsready.chaos.reconcile --journals DIR [--where proxy=edge] [--recheck-settled]`` opens the target from
the configuration its journals name (as the watchdog does) and prints what it did.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from opsready.chaos.journal import FaultEntry, reverting_lock
from opsready.chaos.readback import journals, read_journal
from opsready.chaos.recover import ManualStep, Recovered, revert_entry
from opsready.errors import OpsreadyError
from opsready.targets.faults import FaultInjectable, revalidate

BY = "reconcile"
Say = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class OpenFault:
    """A fault a journal shows open (not reverted)."""

    journal: Path
    fault_id: str
    name: str
    kind: str
    deadline: float  # epoch seconds: its run, or its dead-man watchdog, reverts it by then

    def describe(self, now: float | None = None) -> str:
        """'name (kind) from journal, N s left' or '... past its deadline'."""
        left = self.deadline - (time.time() if now is None else now)
        when = f"{left:.0f} s left" if left > 0 else "past its deadline: run `opsready recover`"
        return f"{self.name} ({self.kind}, fault {self.fault_id}) from {self.journal.name}: {when}"


@dataclass(frozen=True)
class Reconciled:
    """What a reconcile found and did."""

    reverted: tuple[Recovered, ...]
    open: tuple[OpenFault, ...]
    manual: tuple[ManualStep, ...]


def _matches(entry: FaultEntry, where: Mapping[str, str]) -> bool:
    if not where:
        return True
    if entry.spec is None:
        return False  # which part of the target it concerns cannot be read: recover lists it
    params = {k: str(v) for k, v in entry.spec.params}
    return all(params.get(k) == v for k, v in where.items())


def _open_fault(path: Path, entry: FaultEntry) -> OpenFault:
    kind = entry.spec.kind if entry.spec is not None else "unknown"
    return OpenFault(path, entry.fault_id, entry.name, kind, entry.deadline)


def open_faults(target: FaultInjectable, where: Mapping[str, str] | None = None) -> tuple[OpenFault, ...]:
    """Every fault the journals of ``target`` show open, oldest first (read-only: for ``sandbox status``)."""
    found: list[OpenFault] = []
    for path in journals(target.fault_journal_dir()):
        found.extend(_open_fault(path, e) for e in read_journal(path).open_faults if _matches(e, where or {}))
    return tuple(found)


def _likeness(entry: FaultEntry) -> tuple[str, tuple[tuple[str, str], ...]]:
    return (entry.spec.kind if entry.spec is not None else "", entry.facts)


def _still_applied(path: Path, entry: FaultEntry, target: FaultInjectable, say: Say) -> bool:
    """Whether the target still shows a fault its journal calls reverted or not applied."""
    if entry.spec is None:
        return False
    try:
        spec = revalidate(target.fault_kinds(), entry.spec, f"{path}:{entry.line}")
        observation = target.fault(spec, entry.fault_id, entry.facts).verify_reverted()
    except OpsreadyError as exc:
        say(f"cannot check {entry.name} from {path.name}: {exc.message}")
        return False
    if not observation.ok:
        say(f"{entry.name} is {entry.status} in {path.name} but still applied: {observation.describe()}")
    return not observation.ok


def reconcile(
    target: FaultInjectable,
    *,
    where: Mapping[str, str] | None = None,
    recheck_settled: bool = False,
    say: Say = _quiet,
) -> Reconciled:
    """Revert open faults past their deadline (and, with ``recheck_settled``, settled ones the target still shows);
    report open faults in time. ``where`` limits it to faults with those parameters (``proxy=edge``)."""
    reverted: list[Recovered] = []
    manual: list[ManualStep] = []
    still_open: list[OpenFault] = []
    paths = journals(target.fault_journal_dir())
    # a settled fault that looks exactly like an open one (the same toxic) cannot be told apart from it on the
    # target: its check would see the open fault and revert that instead
    alike = {_likeness(e) for p in paths for e in read_journal(p).open_faults}
    for path in reversed(paths):
        with reverting_lock(path):  # a watchdog or recover may be reverting this journal's faults right now
            view = read_journal(path)
            now = time.time()
            for entry in reversed(view.faults):
                if not _matches(entry, where or {}):
                    continue
                if not entry.settled and entry.deadline > now:
                    still_open.append(_open_fault(path, entry))
                    continue
                if entry.settled and not (recheck_settled and not view.closed):
                    continue
                if entry.settled and (_likeness(entry) in alike or not _still_applied(path, entry, target, say)):
                    continue
                outcome = revert_entry(path, entry, target, BY, say)
                if isinstance(outcome, ManualStep):
                    manual.append(outcome)
                else:
                    reverted.append(outcome)
    return Reconciled(tuple(reverted), tuple(reversed(still_open)), tuple(manual))


def _open_target(journal_dir: Path) -> FaultInjectable | None:
    """The target whose journals are in ``journal_dir``, opened from the configuration its newest run names."""
    from opsready.config import load_config
    from opsready.targets.faults import faults_of
    from opsready.targets.registry import open_target

    for path in reversed(journals(journal_dir)):
        run = read_journal(path).run
        if run is None or not run.config:
            continue
        try:
            target = faults_of(open_target(load_config(Path(run.config)), run.target))
        except OpsreadyError:
            continue  # a configuration that moved or changed: an older run may name one that still works
        if target.fault_journal_dir().resolve() == journal_dir.resolve():
            return target
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Reconcile the target of a journal directory; exit 3 when a person must act, 0 otherwise."""
    parser = argparse.ArgumentParser(prog="python -m opsready.chaos.reconcile", description=__doc__)
    parser.add_argument("--journals", required=True, type=Path, help="the target's fault journal directory")
    parser.add_argument("--where", action="append", default=[], help="only faults with this parameter (k=v)")
    parser.add_argument("--recheck-settled", action="store_true", help="revert settled faults still applied")
    args = parser.parse_args(argv)
    where = dict(item.split("=", 1) for item in args.where)

    def say(message: str) -> None:
        print(f"reconcile: {message}", file=sys.stderr, flush=True)

    target = _open_target(args.journals)
    if target is None:
        say(f"no configuration named by the journals in {args.journals} opens their target: nothing reconciled")
        return 3
    result = reconcile(target, where=where, recheck_settled=args.recheck_settled, say=say)
    for done in result.reverted:
        say(f"reverted {done.name} ({done.kind}) from {done.journal.name}: {done.verified}")
    for fault in result.open:
        say(f"still open, kept: {fault.describe()}")
    for step in result.manual:
        say(f"manual step: {step.where}: {step.what}")
    return 3 if result.manual else 0


if __name__ == "__main__":
    sys.exit(main())
