"""``opsready recover``: after a crash or SIGKILL, revert every fault the journals do not show as reverted.

Faults are reverted newest first from their journaled spec and facts, each verified by a probe. A run whose process
still lives is left alone (its own guard and watchdogs are in charge) unless forced. Anything that cannot be done
from the journal (an unreadable line, a fault whose intent cannot be read, a revert that keeps failing, a fault whose
facts name a live process that is not the one journaled with them: recover never signals it) becomes a
*manual step*: it is listed with its ``path:line`` and makes the exit code 5 until a person has dealt with it and
says so with ``--acknowledge``. A second run after a clean recovery finds nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from opsready import exitcodes
from opsready.chaos.journal import FaultEntry, JournalView, append_record, now_iso, reverting_lock
from opsready.chaos.readback import journals, read_journal
from opsready.chaos.revert import RevertFailed, revert_fault
from opsready.errors import ValidationError
from opsready.targets.faults import FaultInjectable, revalidate

Say = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class Recovered:
    """A fault reverted by this run of recover."""

    journal: Path
    fault_id: str
    name: str
    kind: str
    verified: str


@dataclass(frozen=True)
class ManualStep:
    """Something recover could not do from the journal: where it is written, and what a person must check."""

    where: str
    what: str
    fault_id: str = ""


@dataclass(frozen=True)
class RecoverReport:
    """What recover found and did."""

    journals: int
    reverted: tuple[Recovered, ...]
    manual: tuple[ManualStep, ...]
    acknowledged: tuple[ManualStep, ...]
    skipped: tuple[str, ...]  # runs still in progress

    @property
    def exit_code(self) -> int:
        """OK when nothing is left to do (including nothing to do at all), MANUAL when a person must act."""
        return exitcodes.MANUAL if self.manual else exitcodes.OK


@dataclass
class _Found:
    """What recover collects while it goes through the journals."""

    reverted: list[Recovered] = field(default_factory=list)
    manual: list[ManualStep] = field(default_factory=list)
    acknowledged: list[ManualStep] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def recover(
    target: FaultInjectable, *, acknowledge: bool = False, force: bool = False, say: Say = _quiet
) -> RecoverReport:
    """Revert what the journals of ``target`` leave applied; list what needs a manual step."""
    found = _Found()
    paths = journals(target.fault_journal_dir())
    for path in reversed(paths):
        with reverting_lock(path):  # a watchdog of this run may be reverting right now: one at a time
            _recover_journal(path, target, found, acknowledge=acknowledge, force=force, say=say)
    return RecoverReport(
        len(paths), tuple(found.reverted), tuple(found.manual), tuple(found.acknowledged), tuple(found.skipped)
    )


def revert_entry(
    path: Path, entry: FaultEntry, target: FaultInjectable, by: str, say: Say = _quiet
) -> Recovered | ManualStep:
    """Revert one journaled fault as recover does (refusing a stranger's pid), or say what a person must do.

    ``opsready recover`` and the reconcile on a sandbox's start both revert through here, so they agree."""
    where = f"{path}:{entry.line}"
    if entry.spec is None:
        return ManualStep(where, f"fault {entry.fault_id} ({entry.name}): {entry.problem}", entry.fault_id)
    if strangers := entry.strangers():
        what = (
            f"fault {entry.fault_id} ({entry.name}) not reverted: {'; '.join(strangers)}. recover does not "
            "signal a process that is not the one it journaled: check the target and undo the fault by hand"
        )
        say(f"refusing to revert {entry.name} from {path.name}: {'; '.join(strangers)}")
        return ManualStep(where, what, entry.fault_id)
    try:
        spec = revalidate(target.fault_kinds(), entry.spec, where)
        fault = target.fault(spec, entry.fault_id, entry.facts)
        say(f"reverting {entry.name} ({spec.kind}) from {path.name}")
        observation = revert_fault(fault, path, entry.fault_id, by, say=say)
    except (ValidationError, RevertFailed) as exc:
        return ManualStep(where, f"fault {entry.fault_id} ({entry.name}): {exc.message}", entry.fault_id)
    return Recovered(path, entry.fault_id, entry.name, spec.kind, observation.describe())


def _revert_entries(
    path: Path, view: JournalView, target: FaultInjectable, found: _Found, say: Say
) -> list[ManualStep]:
    todo: list[ManualStep] = []
    for entry in reversed(view.open_faults):
        outcome = revert_entry(path, entry, target, "recover", say)
        if isinstance(outcome, ManualStep):
            todo.append(outcome)
        else:
            found.reverted.append(outcome)
    return todo


def _recover_journal(
    path: Path, target: FaultInjectable, found: _Found, *, acknowledge: bool, force: bool, say: Say
) -> None:
    view = read_journal(path)
    if view.run is not None and view.run.alive() and not force:
        if view.open_faults:
            found.skipped.append(f"{path.name} (pid {view.run.pid} is still running)")
        return
    todo = _revert_entries(path, view, target, found, say)
    for bad in view.unacknowledged:
        todo.append(
            ManualStep(
                bad.where,
                f"unreadable journal record ({bad.reason}): a fault may have been injected that recover cannot "
                "see; check the target (e.g. `opsready sandbox status`) and undo it by hand",
            )
        )
    if acknowledge and todo:
        lines = [u.line for u in view.unacknowledged]
        faults = [step.fault_id for step in todo if step.fault_id]
        append_record(path, {"record": "acknowledged", "at": now_iso(), "lines": lines, "faults": faults})
        found.acknowledged.extend(todo)
    else:
        found.manual.extend(todo)
