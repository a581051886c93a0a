"""`opsready gate --min-score`: the readiness score decides the exit code; the Markdown summary goes to the CI job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.suites import RUNBOOK, STEPS, gate_feature

OPSREADY = [sys.executable, "-m", "opsready.cli"]
CONFIG = "version: 1\ntargets:\n  sandbox:\n    platform: sandbox\n    state_dir: st\nreports_dir: reports\n"
FEATURE = gate_feature()


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    """A suite whose only gate scenario drills the only runbook (rollback): score 100 there, 16.7 overall."""
    (tmp_path / "opsready.yaml").write_text(CONFIG)
    for name, text in (
        ("runbooks/rollback.md", RUNBOOK),
        ("features/drill.feature", FEATURE),
        ("steps/test_drill.py", STEPS),
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def gate(suite: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `opsready gate` on the suite (at most 120 s)."""
    command = [*OPSREADY, "gate", "--config", str(suite / "opsready.yaml"), *args]
    return subprocess.run(
        command, capture_output=True, text=True, cwd=suite, timeout=120, check=False, env={**os.environ, **(env or {})}
    )


def test_a_score_below_the_minimum_fails_the_gate(suite: Path, tmp_path: Path) -> None:
    """Every scenario passed, but 16.7 < 90: exit 1; the terminal, readiness.md and the CI job summary say why.

    (A score at or above the minimum passing is covered by the plugin's tests, which the gate forwards to.)
    """
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n")
    result = gate(suite, "--min-score", "90", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "readiness score 16.7/100 (minimum 90.0: BELOW MINIMUM, the gate fails)" in result.stdout
    assert "READY (1 passed; 0 target(s) missed)" in result.stdout
    reports = suite / "reports"
    line = "Readiness score: **16.7/100** (minimum 90.0: **BELOW MINIMUM**)."
    assert line in (reports / "readiness.md").read_text()
    assert (reports / "readiness.html").is_file()
    (run,) = (reports / "history.jsonl").read_text().splitlines()
    assert json.loads(run)["kind"] == "gate"
    text = summary.read_text()
    assert text.startswith("earlier step\n# Operational readiness\n") and line in text


def test_a_minimum_out_of_range_is_refused_before_anything_runs(suite: Path) -> None:
    """--min-score 101: exit 2 with the reason, no traceback, no report directory created."""
    result = gate(suite, "--min-score", "101")
    assert result.returncode == 2
    assert "--min-score" in result.stderr and "101" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (suite / "reports").exists()
