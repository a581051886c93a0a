"""The fault journal: durable records, tolerant reading back, torn lines, acknowledgements, the index."""

from __future__ import annotations

import json
import os
from pathlib import Path

from opsready.chaos.journal import FaultJournal, append_record
from opsready.chaos.readback import journals, read_journal
from opsready.processes import process_start
from opsready.targets.faults import FaultSpec

SPEC = FaultSpec("process-stop", (("service", "worker"),), 30.0)


def _journal(tmp_path: Path) -> FaultJournal:
    return FaultJournal.create(tmp_path / "faults", "experiments/x.yaml", "sandbox", "/suite/opsready.yaml")


def test_a_fault_goes_from_intent_to_reverted(tmp_path: Path) -> None:
    """intent, watchdog, applied, reverting, reverted: read back as one settled fault with its facts and deadline."""
    journal = _journal(tmp_path)
    journal.intent("r-1", "worker-down", SPEC, (("pid", "42"),), 1234.5)
    journal.write("watchdog", fault="r-1", pid=99)
    journal.write("applied", fault="r-1")
    view = read_journal(journal.path)
    assert view.run is not None and view.run.pid == os.getpid() and view.run.alive()
    (fault,) = view.faults
    assert (fault.status, fault.spec, fault.facts, fault.deadline, fault.watchdog_pid) == (
        "applied",
        SPEC,
        (("pid", "42"),),
        1234.5,
        99,
    )
    assert view.open_faults == (fault,)
    append_record(journal.path, {"record": "reverting", "fault": "r-1", "by": "harness", "attempt": 1})
    append_record(journal.path, {"record": "reverted", "fault": "r-1", "by": "harness", "detail": "worker: ok"})
    append_record(journal.path, {"record": "reverting", "fault": "r-1", "by": "dead-man", "attempt": 1})
    settled = read_journal(journal.path).faults[0]
    assert (settled.status, settled.reverted_by, settled.detail) == ("reverted", "harness", "worker: ok")


def test_intent_is_on_disk_before_anything_else(tmp_path: Path) -> None:
    """Every record is a complete line on disk as soon as the call returns (the file is never rewritten)."""
    journal = _journal(tmp_path)
    journal.intent("r-1", "f", SPEC, (), 1.0)
    lines = journal.path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and json.loads(lines[-2])["record"] == "intent"


def test_unreadable_lines_are_reported_not_raised(tmp_path: Path) -> None:
    """Garbage, a non-record, an unknown record, a record for an unknown fault, a bad spec: all listed by line."""
    journal = _journal(tmp_path)
    journal.intent("r-1", "f", SPEC, (), 1.0)
    with journal.path.open("a") as fh:
        fh.write("not json\n[1, 2]\n")
        fh.write(json.dumps({"record": "surprise"}) + "\n")
        fh.write(json.dumps({"record": "applied", "fault": "r-9"}) + "\n")
        fh.write(json.dumps({"record": "intent", "fault": "r-2", "spec": {"kind": 3}}) + "\n")
    view = read_journal(journal.path)
    assert [u.line for u in view.unreadable] == [3, 4, 5, 6]
    assert view.unreadable[0].reason == "truncated or corrupt JSON"
    assert "no readable intent" in view.unreadable[3].reason
    bad = view.fault("r-2")
    assert bad is not None and bad.spec is None and "spec cannot be read" in bad.problem


def test_a_torn_last_line_does_not_swallow_the_next_record(tmp_path: Path) -> None:
    """A process killed mid-line leaves a partial line: the next record still starts on a line of its own."""
    journal = _journal(tmp_path)
    journal.intent("r-1", "f", SPEC, (), 1.0)
    with journal.path.open("a") as fh:
        fh.write('{"record": "applied", "fau')
    append_record(journal.path, {"record": "reverted", "fault": "r-1", "by": "recover", "detail": "ok"})
    view = read_journal(journal.path)
    assert [u.line for u in view.unreadable] == [3]
    assert view.faults[0].status == "reverted"


def test_acknowledged_lines_and_faults_no_longer_need_a_person(tmp_path: Path) -> None:
    """An acknowledgement settles the listed faults and lines."""
    journal = _journal(tmp_path)
    journal.intent("r-1", "f", SPEC, (), 1.0)
    with journal.path.open("a") as fh:
        fh.write("garbage\n")
    append_record(journal.path, {"record": "acknowledged", "lines": [3], "faults": ["r-1"]})
    view = read_journal(journal.path)
    assert view.unacknowledged == () and view.open_faults == ()
    assert view.faults[0].reverted_by == "a person"


def test_missing_file_and_dead_writer(tmp_path: Path) -> None:
    """A journal that cannot be read is one unreadable entry; a run whose pid is gone is not alive."""
    view = read_journal(tmp_path / "nope.jsonl")
    assert view.run is None and view.unreadable[0].line == 0
    journal = _journal(tmp_path)
    with journal.path.open("a") as fh:
        fh.write(json.dumps({"record": "run", "run": "old", "pid": 1, "pid_start": -5}) + "\n")
    run = read_journal(journal.path).run
    assert run is not None and not run.alive()
    assert process_start(os.getpid()) is not None


def test_journals_are_found_by_index_and_on_disk(tmp_path: Path) -> None:
    """A journal missing from a damaged index is still found; the index itself is not a journal."""
    first = _journal(tmp_path)
    second = _journal(tmp_path)
    (tmp_path / "faults" / "index.jsonl").write_text("garbage\n", encoding="utf-8")
    assert set(journals(tmp_path / "faults")) == {first.path, second.path}
    assert journals(tmp_path / "absent") == ()


def test_armed_not_applied_and_the_applied_deadline_are_read_back(tmp_path: Path) -> None:
    """`armed` marks the watchdog ready; `not_applied` settles a fault that never reached the target (recover has
    nothing to do), but never one that was applied; `applied` carries the deadline that counts from the injection;
    `reverted` says when."""
    journal = _journal(tmp_path)
    journal.intent("r-1", "refused", SPEC, (), 100.0)
    journal.intent("r-2", "applied", SPEC, (), 100.0)
    journal.write("armed", fault="r-2", pid=99)
    journal.write("applied", fault="r-2", deadline=42.5)
    journal.write("not_applied", fault="r-1", reason="its dead-man watchdog exited")
    journal.write("not_applied", fault="r-2", reason="a confused writer")
    view = read_journal(journal.path)
    assert not view.unreadable
    refused, applied = view.faults
    assert (refused.status, refused.settled, refused.armed, refused.detail) == (
        "not_applied",
        True,
        False,
        "its dead-man watchdog exited",
    )
    assert (applied.status, applied.armed, applied.deadline) == ("applied", True, 42.5)
    assert view.open_faults == (applied,)
    append_record(journal.path, {"record": "reverted", "fault": "r-2", "by": "dead-man", "detail": "ok", "t": 43.0})
    settled = read_journal(journal.path).faults[1]
    assert (settled.status, settled.reverted_by, settled.reverted_at) == ("reverted", "dead-man", 43.0)
