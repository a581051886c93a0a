"""Which fault journal names a process group (chaos.readback.journaled_group), the ground a culprit remedy may stop
a group on when the target itself does not claim it: a journaled process identity, or a holder's fault id that was
journaled before the group started."""

from __future__ import annotations

import os
import time
from pathlib import Path

from opsready.chaos.journal import FaultJournal
from opsready.chaos.readback import journaled_group
from opsready.processes import ProcessIdentity
from opsready.targets.diagnostics import ProcessGroup
from opsready.targets.faults import FaultSpec

HOG = FaultSpec("cpu-hog", (("workers", 1.0),), 30.0)


def me() -> ProcessIdentity:
    identity = ProcessIdentity.of(os.getpid())
    assert identity is not None
    return identity


def group(fault_id: str = "", started: float | None = None, members: tuple[ProcessIdentity, ...] = ()) -> ProcessGroup:
    return ProcessGroup(
        99, members or (me(),), "python -m holder", "none", "", fault_id, time.time() if started is None else started
    )


def test_a_holder_started_after_its_faults_intent_is_journaled(tmp_path: Path) -> None:
    """The fault id on the holder's command line names a fault of the journal, intent before the holder."""
    journal = FaultJournal.create(tmp_path, "exp", "sandbox", "opsready.yaml")
    journal.intent(f"{journal.run.run_id}-1", "cpu-hog-1", HOG, (), time.time() + 30)
    found = journaled_group(tmp_path, group(f"{journal.run.run_id}-1"))
    assert found.startswith(f"fault cpu-hog-1 ({journal.run.run_id}-1) journaled at {journal.path}:2")


def test_a_group_started_before_the_intent_or_with_another_id_is_not(tmp_path: Path) -> None:
    """A process older than the intent cannot be that fault's holder; an unknown id, or none, names nothing."""
    journal = FaultJournal.create(tmp_path, "exp", "sandbox", "opsready.yaml")
    fault_id = f"{journal.run.run_id}-1"
    journal.intent(fault_id, "cpu-hog-1", HOG, (), time.time() + 30)
    assert journaled_group(tmp_path, group(fault_id, started=time.time() - 60)) == ""
    assert journaled_group(tmp_path, group(f"{journal.run.run_id}-2")) == ""
    assert journaled_group(tmp_path, group("")) == ""
    assert journaled_group(tmp_path / "none", group(fault_id)) == ""


def test_a_process_whose_identity_the_intent_journaled_is_journaled(tmp_path: Path) -> None:
    """Facts naming a pid journal its identity: the very process is named; the same pid with another start time
    (a reused pid) is not."""
    journal = FaultJournal.create(tmp_path, "exp", "sandbox", "opsready.yaml")
    journal.intent(f"{journal.run.run_id}-1", "process-pause-1", HOG, (("pid", str(os.getpid())),), time.time() + 30)
    assert "process-pause-1" in journaled_group(tmp_path, group(started=0.0))
    reused = ProcessIdentity(me().pid, me().started + 1, me().cmdline)
    assert journaled_group(tmp_path, group(started=0.0, members=(reused,))) == ""
