"""Stopping a session of processes by its id: SIGTERM with a grace period, then SIGKILL, nothing else touched."""

from __future__ import annotations

import subprocess
import sys
import time

from opsready.processes import pid_alive, session_members, stop_session

IGNORES_TERM = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"


def _session(code: str, children: int = 0) -> subprocess.Popen[bytes]:
    """A Python process in a session of its own, with ``children`` copies of itself in that session."""
    spawn = f"import subprocess, sys; [subprocess.Popen([sys.executable, '-c', {code!r}]) for _ in range({children})]; "
    proc = subprocess.Popen([sys.executable, "-c", spawn + code], start_new_session=True)
    deadline = time.monotonic() + 10
    while len(session_members(proc.pid)) < children + 1:
        assert time.monotonic() < deadline, "the session did not start"
        time.sleep(0.02)
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
