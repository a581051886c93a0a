"""The pytest row of the lifecycle table, on a real sandbox: a run starts a stopped disposable target and stops it
again, leaving no process of its session behind; a running one is used and left running."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.processes import session_members
from opsready.sandbox.manager import Sandbox, SandboxOptions
from opsready.sandbox.supervisor import recorded_session

pytestmark = pytest.mark.sandbox

CONFIG = """\
version: 1
targets:
  lab:
    platform: sandbox
    state_dir: {state}
    ports: auto
    database: sqlite
safety:
  destructive_targets: [lab]
"""
TEST = """\
from pathlib import Path


def test_the_target_serves(target):
    assert target.is_running()
    Path("seen").write_text(target.base_url)
"""


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.Pytester:
    """A suite whose only target is a stopped SQLite sandbox under tmp_path."""
    monkeypatch.delenv("OPSREADY_STATE_DIR", raising=False)
    pytester.makefile(".yaml", opsready=CONFIG.format(state=tmp_path / "state"))
    pytester.makepyfile(test_serves=TEST)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester


def test_pytest_starts_a_stopped_sandbox_and_stops_it_after(suite: pytest.Pytester, tmp_path: Path) -> None:
    """Up for the test (it served), down afterwards, with no process of its session left."""
    sandbox = Sandbox(SandboxOptions(state_dir=tmp_path / "state", ports="auto"))
    assert not sandbox.is_up()
    try:
        result = suite.runpytest_subprocess("-p", "no:cacheprovider")
        result.assert_outcomes(passed=1)
        assert (suite.path / "seen").read_text().startswith("http://127.0.0.1:")
        assert not sandbox.is_up()
        sid = recorded_session(sandbox.layout)
        assert sid is None or session_members(sid) == []
    finally:
        sandbox.down(purge=True)


def test_a_running_sandbox_is_used_and_left_running(suite: pytest.Pytester, tmp_path: Path) -> None:
    """The run did not start it, so it does not stop it."""
    sandbox = Sandbox(SandboxOptions(state_dir=tmp_path / "state", ports="auto", database="sqlite"))
    try:
        sandbox.up()
        before = sandbox.status().supervisor_pid
        result = suite.runpytest_subprocess("-p", "no:cacheprovider", "--start-target=never")
        result.assert_outcomes(passed=1)
        assert sandbox.is_up() and sandbox.status().supervisor_pid == before
    finally:
        sandbox.down(purge=True)
