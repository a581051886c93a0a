"""A stale or fuzzed journal never makes ``opsready recover`` signal a process that is not the one journaled.

The process named is a harmless ``sleep 60`` this test starts in a session of its own and stops with SIGSTOP: if
recover reverted the pause fault the journal describes, it would send SIGCONT and the sleep would run again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from opsready.chaos.journal import FaultJournal
from opsready.chaos.readback import read_journal
from opsready.chaos.recover import recover
from opsready.sandbox.adapter import SandboxTarget
from opsready.sandbox.manager import Sandbox, SandboxOptions
from opsready.targets.faults import FaultSpec

PAUSE = {"kind": "process-pause", "params": {"service": "api"}, "time_limit": 30}


@pytest.fixture
def stopped_sleep() -> Iterator[psutil.Process]:
    """Another program's process, in a session of its own, frozen with SIGSTOP; killed afterwards."""
    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        victim = psutil.Process(proc.pid)
        os.kill(proc.pid, signal.SIGSTOP)
        deadline = time.monotonic() + 5
        while victim.status() != psutil.STATUS_STOPPED:
            assert time.monotonic() < deadline, "the sleep did not stop"
            time.sleep(0.01)
        yield victim
    finally:
        proc.kill()  # our own child, by pid; SIGKILL ends a stopped process too
        proc.wait(10)


def _journal(target: SandboxTarget, victim: psutil.Process, processes: object) -> Path:
    """A journal of a dead run whose pause fault names ``victim``'s group, and a session file naming its session."""
    state = target.sandbox.layout.state
    (state / "faults").mkdir(parents=True)
    (state / "session").write_text(f"{victim.pid}\n")  # stale: a sandbox session id now used by another program
    path = state / "faults" / "20261202T000000Z-1-abcd.jsonl"
    records = [
        {"record": "run", "run": "20261202T000000Z-1-abcd", "pid": 1, "pid_start": -1.0},
        {"record": "intent", "run": "r", "fault": "f1", "name": "pause api", "spec": PAUSE, "facts": {}},
        {"record": "applied", "run": "r", "fault": "f1"},
    ]
    records[1]["facts"] = {"pgid": str(victim.pid)}
    if processes is not None:
        records[1]["processes"] = processes
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.mark.parametrize("case", ["no-identity", "other-start-time", "damaged-identity", "not-a-mapping"])
def test_recover_refuses_to_signal_a_process_that_is_not_the_one_journaled(
    tmp_path: Path, stopped_sleep: psutil.Process, case: str
) -> None:
    """The pause fault's pgid is a live process that is not ours: recover leaves it stopped, exits 3, names it."""
    target = SandboxTarget("sandbox", Sandbox(SandboxOptions(state_dir=tmp_path / "state", ports="auto")))
    started = round(stopped_sleep.create_time() - psutil.boot_time(), 2)
    processes = {
        "no-identity": None,  # fuzzed, or written before identities were journaled
        "other-start-time": {"pgid": {"pid": stopped_sleep.pid, "started": started - 30, "cmdline": ["gunicorn"]}},
        "damaged-identity": {"pgid": {"pid": "x"}},
        "not-a-mapping": ["pgid"],
    }[case]
    path = _journal(target, stopped_sleep, processes)
    said: list[str] = []
    report = recover(target, say=said.append)
    assert stopped_sleep.status() == psutil.STATUS_STOPPED, "recover sent SIGCONT to a process that is not ours"
    assert report.exit_code == 5 and report.reverted == ()
    (step,) = report.manual
    assert step.where == f"{path}:2" and step.fault_id == "f1"
    assert f"pgid={stopped_sleep.pid} is now pid {stopped_sleep.pid} (sleep 60)" in step.what
    assert "does not signal a process that is not the one it journaled" in step.what
    assert any(line.startswith("refusing to revert pause api") for line in said), said
    assert read_journal(path).fault("f1") is not None and read_journal(path).open_faults


def test_the_intent_journals_who_its_facts_name_and_only_that_process_is_trusted(
    tmp_path: Path, stopped_sleep: psutil.Process
) -> None:
    """An intent records pid, start time and command line of the processes its facts name; read back, the same
    live process is trusted, a value that is no pid is not, and a process that is gone needs no trust."""
    journal = FaultJournal.create(tmp_path, "exp", "sandbox", "opsready.yaml")
    spec = FaultSpec("process-pause", (("service", "api"),), 30.0)
    journal.intent("f1", "pause", spec, (("pgid", str(stopped_sleep.pid)), ("service", "api")), time.time() + 30)
    journal.intent("f2", "pause", spec, (("pgid", "-1"),), time.time() + 30)
    view = read_journal(journal.path)
    assert view.run is not None and view.run.alive()
    first, second = view.fault("f1"), view.fault("f2")
    assert first is not None and second is not None
    (recorded,) = first.processes
    assert recorded[0] == "pgid" and recorded[1].pid == stopped_sleep.pid and recorded[1].cmdline == ("sleep", "60")
    assert first.strangers() == ()
    assert second.strangers() == ("pgid='-1' is not a pid",)
    stopped_sleep.kill()  # psutil checks the pid is still that sleep; the fixture's Popen reaps it
    deadline = time.monotonic() + 5
    while stopped_sleep.status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the sleep did not exit"
        time.sleep(0.01)
    assert first.strangers() == ()


@pytest.mark.parametrize("case", ["no-identity", "other-start-time"])
def test_the_dead_man_refuses_to_signal_a_process_that_is_not_the_one_journaled(
    tmp_path: Path, stopped_sleep: psutil.Process, case: str
) -> None:
    """The watchdog expiring the same journal leaves the stranger stopped, keeps the fault open and fails (1)."""
    from opsready.chaos.watchdog import expire

    target = SandboxTarget("sandbox", Sandbox(SandboxOptions(state_dir=tmp_path / "state", ports="auto")))
    started = round(stopped_sleep.create_time() - psutil.boot_time(), 2)
    processes = {
        "no-identity": None,
        "other-start-time": {"pgid": {"pid": stopped_sleep.pid, "started": started - 30, "cmdline": ["gunicorn"]}},
    }[case]
    path = _journal(target, stopped_sleep, processes)
    assert expire(path, "f1", tmp_path / "opsready.yaml", "sandbox", target) == 1
    assert stopped_sleep.status() == psutil.STATUS_STOPPED, "the dead-man sent SIGCONT to a process that is not ours"
    assert read_journal(path).open_faults
