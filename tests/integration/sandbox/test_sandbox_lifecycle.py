"""The sandbox's lifecycle as a user lives it: up, up again, status, crash, down; checked by pid, not by hope."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from opsready.errors import EnvironmentProblem, UsageError
from opsready.eventually import eventually
from opsready.processes import pid_alive, session_members
from opsready.sandbox import rollout
from opsready.sandbox.manager import Sandbox, SandboxOptions
from opsready.sandbox.supervisor import recorded_session

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One PostgreSQL-backed sandbox for the module, on free ports."""
    sbx = Sandbox(SandboxOptions(state_dir=tmp_path_factory.mktemp("lifecycle") / "state", ports="auto"))
    try:
        sbx.up()
        yield sbx
    finally:
        sbx.down(purge=True)


def pids(sbx: Sandbox) -> dict[str, int | None]:
    return {p.name: p.pid for p in sbx.status().programs}


def test_up_starts_every_program_and_serves(sandbox: Sandbox) -> None:
    """All five programs run, the edge answers, the database is PostgreSQL, the initial release serves."""
    status = sandbox.status()
    assert status.up
    assert {p.name: p.state for p in status.programs} == dict.fromkeys(
        ("api", "db_proxy", "edge", "postgres", "worker"), "RUNNING"
    )
    assert status.engine == "postgresql"
    assert status.release == "1.0.0"
    assert httpx.get(f"{sandbox.base_url}/version", timeout=5).json()["version"] == "1.0.0"


def test_up_twice_is_harmless(sandbox: Sandbox) -> None:
    """A second up changes nothing: the same processes keep running."""
    before = pids(sandbox)
    sandbox.up()
    assert pids(sandbox) == before


def test_unknown_release_changes_nothing(sandbox: Sandbox) -> None:
    """Deploying a release that does not exist is a usage error naming the shipped ones; the link stays."""
    with pytest.raises(UsageError, match=re.escape("unknown release '9.9.9'; the sandbox ships: 1.0.0, 1.1.0")):
        rollout.switch(sandbox, "9.9.9")
    assert sandbox.current_release() == "1.0.0"


def test_crashed_sandbox_is_brought_down_and_up_again(tmp_path: Path) -> None:
    """SIGKILL of supervisord orphans its programs; down still stops every one of them, by session id."""
    sbx = Sandbox(SandboxOptions(state_dir=tmp_path / "state", ports="auto", database="sqlite"))
    try:
        sbx.up()
        assert sbx.status().engine == "sqlite"
        assert httpx.post(f"{sbx.base_url}/orders", json={"item": "x", "quantity": 1}, timeout=5).status_code == 201
        sid = recorded_session(sbx.layout)
        assert sid is not None
        members = session_members(sid)
        assert len(members) >= 4
        os.kill(sid, signal.SIGKILL)  # supervisord is the session leader

        def supervisord_gone() -> None:
            assert not sbx.is_up()

        eventually(supervisord_gone, timeout=5.0)
        assert session_members(sid), "the programs should have outlived supervisord"
        stopped = sbx.down()
        assert set(members) - {sid} <= set(stopped)
        assert not session_members(sid)
        assert not any(pid_alive(p) for p in members)
        sbx.up()
        assert sbx.status().up
        stats = httpx.get(f"{sbx.base_url}/orders/stats", timeout=5).json()
        assert stats["total"] == 1, "the SQLite data survived the crash"
    finally:
        sbx.down(purge=True)
    assert not (tmp_path / "state").exists()


def test_commands_on_a_stopped_sandbox_say_how_to_start_it(tmp_path: Path) -> None:
    """A sandbox that is not running is an environment problem with the fix in the hint."""
    sbx = Sandbox(SandboxOptions(state_dir=tmp_path / "never", ports="auto"))
    with pytest.raises(EnvironmentProblem) as info:
        sbx.supervisor()
    assert "is not running" in info.value.message
    assert info.value.hint == "start it with: opsready sandbox up"
    assert info.value.exit_code == 2


def test_down_leaves_no_process(tmp_path: Path) -> None:
    """After down, no process of the sandbox's session is alive."""
    sbx = Sandbox(SandboxOptions(state_dir=tmp_path / "state", ports="auto", database="sqlite"))
    sbx.up()
    sid = recorded_session(sbx.layout)
    assert sid is not None
    members = session_members(sid)
    stopped = sbx.down()
    assert set(members) <= set(stopped)
    assert not session_members(sid)
    assert not sbx.is_up()
