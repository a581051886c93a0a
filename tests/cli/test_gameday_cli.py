"""``opsready gameday`` on bad input: ``path:line`` errors, exit code 2, no traceback, and the target untouched.

The sandbox is never started here: validation must not need it (and must not touch it).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    """A suite whose sandbox target lives in tmp_path and is not running, with the repository's runbooks."""
    (tmp_path / "opsready.yaml").write_text(
        "version: 1\ntargets:\n  sandbox:\n    platform: sandbox\n    state_dir: state\n    ports: auto\n"
        "safety:\n  destructive_targets: [sandbox]\n",
        encoding="utf-8",
    )
    for name in ("experiments", "runbooks", "gamedays"):
        (tmp_path / name).symlink_to(REPO / name)
    return tmp_path


def _gameday(suite: Path, plan: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "opsready"), "gameday", str(plan), "--config", str(suite / "opsready.yaml"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=suite,
        check=False,
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("experiment: db-outage", "experiment: db-outag", "unknown experiment 'db-outag'"),
        ("runbook: incident-feature-not-working", "runbook: feature-broken", "unknown incident runbook"),
        ("time_box: 2 minutes", "time_box: two minutes", "bad duration"),
        ("  observers: [Erin Fox]", "  watchers: [Erin Fox]", "unknown role 'watchers'"),
    ],
)
def test_a_bad_plan_is_refused_at_its_line(suite: Path, old: str, new: str, message: str) -> None:
    """The error names the plan's file and the line of the mistake; nothing is started or written."""
    text = (REPO / "gamedays" / "q4-2026.yaml").read_text(encoding="utf-8")
    assert old in text
    plan = suite / "bad.yaml"
    plan.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = next(i for i, row in enumerate(plan.read_text().splitlines(), 1) if new.strip() in row)
    done = _gameday(suite, plan, "--auto")
    assert done.returncode == 2, done.stderr
    assert f"{plan}:{line}: " in done.stderr and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not (suite / "state").exists() and not (suite / "reports").exists()


def test_a_stopped_target_is_refused_before_anything_runs(suite: Path) -> None:
    """A valid plan against a sandbox that is not running: exit 2 and a hint, nothing written."""
    done = _gameday(suite, suite / "gamedays" / "q4-2026.yaml", "--auto")
    assert done.returncode == 2, done.stderr
    assert "is not running" in done.stderr and "Traceback" not in done.stderr
    assert not (suite / "reports").exists()
