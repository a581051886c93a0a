"""Bad input on the command line: one clear line naming the file and line, exit code 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

OPSREADY = [sys.executable, "-m", "opsready.cli"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*OPSREADY, *args], capture_output=True, text=True, cwd=cwd, timeout=60, check=False)


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (
            "version: 1\ntargets:\n  sandbox:\n    platform: sandbox\nslos:\n  rollback_within: 5 minuts\n",
            6,
            "unknown unit 'minuts'",
        ),
        ("version: 1\ntargets:\n  sandbox:\n    platform: sandbox\n    prots: auto\n", 5, "unknown key 'prots'"),
        ("version: 1\ntargets:\n  sandbox:\n    platform: sandbox\ndefault_target: prod\n", 5, "default_target 'prod'"),
        ("version: 1\ntargets: {}\n", 2, "at least one target"),
    ],
)
def test_bad_config_is_one_clear_line(tmp_path: Path, content: str, line: int, message: str) -> None:
    """`opsready config check` on a broken opsready.yaml: path:line: message, exit 2, no traceback."""
    config = tmp_path / "opsready.yaml"
    config.write_text(content)
    result = run("config", "check", "--config", str(config))
    assert result.returncode == 2, result.stderr
    assert f"{config}:{line}: " in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_bad_checklist_is_reported_before_anything_runs(tmp_path: Path) -> None:
    """A checklist naming an unknown probe fails at its line; the sandbox is never contacted."""
    (tmp_path / "c.yaml").write_text("checklist: pre-deploy\nitems:\n  - name: x\n    probe: nope\n")
    (tmp_path / "opsready.yaml").write_text(
        "version: 1\ntargets:\n  sandbox:\n    platform: sandbox\n    state_dir: st\n"
        "deployment:\n  pre_checklist: c.yaml\n"
    )
    result = run("check", "pre-deploy", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert f"{tmp_path / 'c.yaml'}:4: unknown probe 'nope'" in result.stderr
    assert not (tmp_path / "st").exists(), "nothing may be created on bad input"


def test_stopped_sandbox_names_the_fix(tmp_path: Path) -> None:
    """Deploying to a sandbox that is not up says how to start it."""
    (tmp_path / "opsready.yaml").write_text(
        "version: 1\ntargets:\n  sandbox:\n    platform: sandbox\n    state_dir: st\n"
    )
    result = run("sandbox", "deploy", "1.1.0", cwd=tmp_path)
    assert result.returncode == 2
    assert "is not running" in result.stderr
    assert "opsready sandbox up" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_the_commands() -> None:
    """--help is the map of the tool."""
    result = run("--help")
    assert result.returncode == 0
    for command in ("sandbox", "deploy", "rollback", "check", "runbooks", "gate"):
        assert command in result.stdout
