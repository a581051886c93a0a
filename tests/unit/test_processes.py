"""Processes: stopping a session by its id (SIGTERM with a grace period, then SIGKILL, nothing else touched), and
telling a process we started from a later one given the same number."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from opsready.processes import OwnedSession, ProcessIdentity, pid_alive, session_members, stop_session

IGNORES_TERM = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
)


def _session(code: str, children: int = 0) -> subprocess.Popen[bytes]:
    """A Python process in a session of its own, with ``children`` copies of itself in that session, each of which
    has said 'ready' (so a signal cannot arrive before the code installed its handlers)."""
    spawn = f"import subprocess, sys; [subprocess.Popen([sys.executable, '-c', {code!r}]) for _ in range({children})]; "
    proc = subprocess.Popen([sys.executable, "-c", spawn + code], start_new_session=True, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    for _ in range(children + 1):
        assert proc.stdout.readline() == b"ready\n", "the session did not start"
    assert len(session_members(proc.pid)) == children + 1
    return proc


def test_a_session_that_ignores_sigterm_is_killed_after_the_grace() -> None:
    """Two processes ignoring SIGTERM: still alive through the grace, gone after it, and none survives."""
    proc = _session(IGNORES_TERM, children=1)
    members = session_members(proc.pid)
    started = time.monotonic()
    assert stop_session(proc.pid, grace=0.3) == []
    assert time.monotonic() - started >= 0.3  # they were given the grace first
    proc.wait(5)
    assert not any(pid_alive(pid) for pid in members)


def test_without_grace_it_is_sigkill_at_once_and_an_empty_session_is_nothing_to_do() -> None:
    """grace=0 goes straight to SIGKILL; a session with no process left returns no survivor at once."""
    proc = _session(IGNORES_TERM)
    started = time.monotonic()
    assert stop_session(proc.pid) == []
    assert time.monotonic() - started < 2.0
    proc.wait(5)
    assert stop_session(proc.pid) == []


def test_an_identity_is_the_process_not_its_number() -> None:
    """The identity of a live process matches only that process; read back from junk it is refused."""
    proc = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        identity = ProcessIdentity.of_started(proc.pid)
        assert identity is not None and identity.cmdline == ("sleep", "30") and identity.current()
        assert ProcessIdentity.from_json(identity.to_json()) == identity
        older = ProcessIdentity(identity.pid, identity.started - 1, identity.cmdline)
        assert not older.current() and not older.signal(signal.SIGTERM)
        assert proc.poll() is None, "a signal reached a process through a stale identity"
        for junk in (None, [], {"pid": "1"}, {"pid": 0, "started": 1, "cmdline": []}, {"pid": 5, "started": 1}):
            with pytest.raises(ValueError):
                ProcessIdentity.from_json(junk)
    finally:
        proc.kill()
        proc.wait(5)
    assert not identity.current()


def test_an_owned_session_whose_leader_is_someone_else_has_no_members() -> None:
    """A session record naming a live leader with another start time: every process of that session is a stranger,
    and stopping the session signals none of them."""
    proc = _session(IGNORES_TERM, children=1)
    try:
        leader = ProcessIdentity.of(proc.pid)
        assert leader is not None
        ours = OwnedSession(leader, "token")
        assert sorted(ours.members()) == sorted(session_members(proc.pid)) and ours.strangers() == []
        stale = OwnedSession(ProcessIdentity(leader.pid, leader.started - 5, leader.cmdline), "token")
        assert stale.members() == [] and sorted(stale.strangers()) == sorted(session_members(proc.pid))
        assert stale.stop() == [] and len(session_members(proc.pid)) == 2
    finally:
        assert stop_session(proc.pid) == []
        proc.wait(5)
