"""The maintenance silence journal and session without an Alertmanager: which journals are leftovers, what is still
open in them, that a live run is left alone, that an unreachable Alertmanager becomes a manual step (the journal
stays open), and that a procedure or target that cannot be silenced runs without a journal and says why."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from opsready.maintenance.procedures import PROCEDURES
from opsready.monitoring.silence_journal import SilenceSession
from opsready.monitoring.silence_recovery import read_leftover, recover_silences
from opsready.processes import ProcessIdentity


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _journal(path: Path, pid: int, *records: dict[str, object], alertmanager: str = "http://127.0.0.1:9") -> Path:
    me = ProcessIdentity.of(pid)
    run = {
        "record": "run",
        "pid": pid,
        "pid_start": me.started if me else 1.0,
        "pid_cmdline": list(me.cmdline) if me else ["gone"],
        "alertmanager": alertmanager,
        "tag": "opsready-run:test",
    }
    path.write_text("".join(json.dumps(r) + "\n" for r in (run, *records)))
    return path


def _gone_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_closed_journal_is_no_leftover(tmp_path: Path) -> None:
    """Every silence expired and the journal closed: nothing for recover."""
    path = _journal(
        tmp_path / "a.jsonl",
        _gone_pid(),
        {"record": "intent"},
        {"record": "created", "id": "s1"},
        {"record": "expired", "id": "s1"},
        {"record": "closed"},
    )
    assert read_leftover(path) is None


def test_an_open_journal_of_a_gone_run_lists_its_silences_not_ended(tmp_path: Path) -> None:
    """Created, not expired, its process gone: a leftover; a torn last line is skipped, not raised."""
    path = _journal(
        tmp_path / "a.jsonl",
        _gone_pid(),
        {"record": "intent"},
        {"record": "created", "id": "s1"},
        {"record": "intent"},
        {"record": "created", "id": "s2"},
        {"record": "ended", "id": "s2"},
    )
    with path.open("a") as fh:
        fh.write('{"record": "crea')
    leftover = read_leftover(path)
    assert leftover is not None
    assert (leftover.alive, leftover.open_ids, leftover.intents) == (False, ("s1",), 2)
    assert leftover.tag == "opsready-run:test"


def test_a_renewed_silence_leaves_only_the_new_one_to_recover(tmp_path: Path) -> None:
    """The journal of a silence made anew (the old one ended at its endsAt): recover ends the new one only."""
    path = _journal(
        tmp_path / "a.jsonl",
        _gone_pid(),
        {"record": "intent"},
        {"record": "created", "id": "s1"},
        {"record": "ended", "id": "s1", "by": "endsAt"},
        {"record": "intent"},
        {"record": "created", "id": "s2"},
        {"record": "renewed", "id": "s1", "new_id": "s2"},
    )
    leftover = read_leftover(path)
    assert leftover is not None and (leftover.open_ids, leftover.intents) == (("s2",), 2), leftover


def test_a_live_run_is_left_alone_unless_forced(tmp_path: Path) -> None:
    """This very process wrote it: recover skips it (the run expires its own silences)."""
    _journal(tmp_path / "a.jsonl", os.getpid(), {"record": "intent"}, {"record": "created", "id": "s1"})
    leftover = read_leftover(tmp_path / "a.jsonl")
    assert leftover is not None and leftover.alive
    done = recover_silences(tmp_path)
    assert done.skipped == ("a.jsonl (its maintenance is still running)",)
    assert not done.expired and not done.manual


def test_an_unreachable_alertmanager_is_a_manual_step_and_the_journal_stays_open(tmp_path: Path) -> None:
    """Nobody listens on the journaled Alertmanager: a manual step naming the journal; a later recover retries."""
    url = f"http://127.0.0.1:{_free_port()}"
    path = _journal(
        tmp_path / "a.jsonl", _gone_pid(), {"record": "intent"}, {"record": "created", "id": "s1"}, alertmanager=url
    )
    done = recover_silences(tmp_path)
    assert len(done.manual) == 1 and done.manual[0][0] == str(path)
    assert "unreachable" in done.manual[0][1] and "amtool silence expire" in done.manual[0][1]
    assert read_leftover(path) is not None


def test_no_journal_directory_means_nothing_to_do(tmp_path: Path) -> None:
    """A target that never had a silence."""
    done = recover_silences(tmp_path / "missing")
    assert (done.expired, done.ended, done.manual, done.skipped) == ((), (), (), ())


class _Plain:
    name = "plain"


def test_what_cannot_be_silenced_runs_without_a_journal_and_says_why(tmp_path: Path) -> None:
    """A procedure touching nothing, and a target without monitoring: no silence, the reason, no journal."""
    none = SilenceSession(tmp_path / "j", _Plain(), "maintenance disk-check", ()).open(60)
    assert none.describe() == "no silence: the procedure touches no component whose alerts would page"
    unmonitored = SilenceSession(tmp_path / "j", _Plain(), "maintenance backup", ("database",)).open(60)
    assert unmonitored.describe() == "no silence: target 'plain' has no monitoring"
    assert not (tmp_path / "j").exists()


def test_procedures_that_change_a_component_silence_it_and_read_only_ones_touch_nothing() -> None:
    """backup/housekeeping: the database; certificate renewal: the edge; patch: the api; checks: nothing."""
    touched = {name: p.touches for name, p in PROCEDURES.items()}
    assert touched == {
        "backup": ("database",),
        "housekeeping": ("database",),
        "log-rotation": (),
        "disk-check": (),
        "certificate-check": (),
        "certificate-renewal": ("edge",),
        "patch": ("api",),
    }
