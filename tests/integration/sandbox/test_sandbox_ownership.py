"""``sandbox down`` and ``up`` sweep only the session the sandbox started, never one a stale session file names.

Each case starts a harmless ``sleep 60`` in a session of its own (another program, as far as the sandbox knows),
writes a session file naming that session the way a stale or crafted file could, and runs ``down`` and ``up``: the
other program must still run afterwards, and the sandbox says it left it alone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from opsready.sandbox.manager import Sandbox, SandboxOptions

# A subreaper that starts `sh` as a session leader whose background `sleep` outlives it: the sleep is then a member
# of a session whose leader is gone, as the programs of a crashed sandbox are. The subreaper reaps it when killed.
ORPHANED_MEMBER = textwrap.dedent(
    """
    import ctypes, os, subprocess
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    sh = subprocess.Popen(["sh", "-c", "sleep 60 </dev/null >/dev/null 2>&1 & echo $!"],
                          start_new_session=True, stdout=subprocess.PIPE, text=True)
    victim = int(sh.stdout.readline())
    sh.wait()
    print(victim, sh.pid, flush=True)
    while True:
        try:
            os.wait()
        except ChildProcessError:
            break
    """
)


@dataclass(frozen=True)
class Other:
    """Another program's process, in a session the session file will name."""

    process: psutil.Process
    sid: int

    def alive(self) -> bool:
        """Whether that very process still runs (psutil compares pid and start time)."""
        return self.process.is_running() and self.process.status() != psutil.STATUS_ZOMBIE


@pytest.fixture(params=["bare-number", "leader-restarted", "leader-gone"])
def other(request: pytest.FixtureRequest) -> Iterator[tuple[str, Other]]:
    """A `sleep 60` in a session of its own: its own leader, or the member left after its leader exited."""
    if request.param == "leader-gone":
        helper = subprocess.Popen([sys.executable, "-c", ORPHANED_MEMBER], stdout=subprocess.PIPE, text=True)
        assert helper.stdout is not None
        victim, sid = (int(x) for x in helper.stdout.readline().split())
    else:
        helper = subprocess.Popen(["sleep", "60"], start_new_session=True)
        victim = sid = helper.pid
    process = psutil.Process(victim)
    deadline = time.monotonic() + 10
    while process.cmdline() != ["sleep", "60"] and time.monotonic() < deadline:
        time.sleep(0.01)  # the forked shell has not run `sleep` yet
    try:
        assert process.cmdline() == ["sleep", "60"]
        yield request.param, Other(process, sid)
    finally:
        # ours to stop: the sleep this fixture started (the helper's child, or the helper itself), by pid
        if victim == helper.pid:
            helper.kill()
        elif victim in {c.pid for c in psutil.Process(helper.pid).children()}:
            os.kill(victim, signal.SIGKILL)
        helper.wait(10)


def _stale_session_file(sandbox: Sandbox, case: str, other: Other) -> None:
    path = sandbox.layout.state / "session"
    path.parent.mkdir(parents=True, exist_ok=True)
    if case == "bare-number":  # the format written before identities were recorded
        path.write_text(f"{other.sid}\n")
        return
    # a supervisord of ours that once had this pid, started earlier, with the token its session would carry
    started = other.process.create_time() - psutil.boot_time()
    leader = {"pid": other.sid, "started": round(max(0.0, started - 100), 2), "cmdline": ["supervisord"]}
    path.write_text(json.dumps({"leader": leader, "token": "0123456789abcdef"}) + "\n")


def test_down_and_up_leave_another_programs_session_alone(tmp_path: Path, other: tuple[str, Other]) -> None:
    """A session file naming another program's session: down and up do not signal it, and say so."""
    case, victim = other
    sandbox = Sandbox(SandboxOptions(state_dir=tmp_path / "state", ports="auto", database="sqlite"))
    said: list[str] = []
    _stale_session_file(sandbox, case, victim)
    try:
        sandbox.down(progress=said.append)
        assert victim.alive(), f"down killed another program ({case})"
        _stale_session_file(sandbox, case, victim)
        sandbox.up(progress=said.append)
        assert victim.alive(), f"up killed another program ({case})"
        assert sandbox.status().up
    finally:
        sandbox.down(purge=True)
    assert victim.alive(), f"down after up killed another program ({case})"
    if case == "bare-number":
        assert any("names no session this sandbox started" in line for line in said), said
    else:
        assert any(f"{victim.process.pid} alone" in line for line in said), said
