"""Reverting one fault: attempts with their own timeout and backoff, each verified by a probe, all journaled.

The harness, the dead-man watchdog and ``opsready recover`` all revert through :func:`revert_fault`, so a fault is
undone the same way whoever does it, and the journal says who did it and what proved it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from opsready.chaos.journal import append_record, now_iso
from opsready.errors import TargetError
from opsready.observation import Observation
from opsready.targets.faults import Fault

ATTEMPTS = 3
TIMEOUT = 30.0
BACKOFF = (0.2, 0.5, 1.0)


class RevertFailed(TargetError):
    """A fault could not be reverted (and verified) after every attempt; a person must look."""


def _quiet(_: str) -> None:
    return None


def revert_fault(
    fault: Fault,
    journal: Path,
    fault_id: str,
    by: str,
    *,
    attempts: int = ATTEMPTS,
    timeout: float = TIMEOUT,
    say: Callable[[str], None] = _quiet,
) -> Observation:
    """Revert, verify, retry; journal each attempt and the outcome. Raises :class:`RevertFailed` at the end.

    A journal that cannot be written does not stop the revert (the fault on the target matters more than its
    record), but a revert the journal could not record is reported as failed: the journal still shows the fault
    applied, so the dead-man watchdog or ``opsready recover`` reverts it again (harmless) and records it."""
    kind = fault.spec.kind
    unrecorded: list[str] = []

    def note(record: str, **fields: object) -> bool:
        try:
            append_record(journal, _record(record, fault_id, **fields))
        except OSError as exc:
            unrecorded.append(f"{type(exc).__name__}: {exc}")
            say(f"the journal could not record '{record}' of {fault_id}: {unrecorded[-1]}")
            return False
        return True

    last = ""
    for attempt in range(1, attempts + 1):
        note("reverting", by=by, attempt=attempt)
        try:
            fault.revert(timeout)
            observation = fault.verify_reverted()
        except Exception as exc:  # any failure of one attempt (driver, OS, target) is retried, then reported
            last = f"{type(exc).__name__}: {str(exc)[:300]}"
        else:
            if observation.ok:
                if note("reverted", by=by, detail=observation.describe()):
                    return observation
                raise RevertFailed(
                    f"fault {fault_id} ({kind}) was reverted and verified ({observation.describe()}), but the "
                    f"journal could not record it ({unrecorded[-1]}), so it still shows the fault applied"
                )
            last = observation.describe()
        say(f"revert of {fault_id} attempt {attempt}/{attempts} did not hold: {last}")
        if attempt < attempts:
            time.sleep(BACKOFF[min(attempt - 1, len(BACKOFF) - 1)])
    note("revert_failed", by=by, detail=last)
    raise RevertFailed(f"fault {fault_id} ({kind}) could not be reverted: {last}")


def _record(kind: str, fault_id: str, **fields: object) -> dict[str, object]:
    return {"record": kind, "fault": fault_id, "at": now_iso(), "t": time.time(), **fields}
