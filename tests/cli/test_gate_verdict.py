"""`opsready gate`: the exit code follows the report's verdict; a skipped gate scenario is not ready unless expected."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_report_gate import RUNBOOK

CONFIG = "version: 1\ntargets:\n  sandbox:\n    platform: sandbox\n    state_dir: st\nreports_dir: reports\n"
EXPECTED = """\
gate:
  expected_skips:
    - scenario: Host check
      reason: the hosts cannot be reached from CI
"""
STEPS = """\
import pytest
from pytest_bdd import given, scenarios

scenarios("../features/gate.feature")


@given("a check that passes")
def passes(timeline):
    timeline.mark("started")


@given("a check that skips")
def skips():
    pytest.skip("no hosts here")


@given("a check that fails")
def fails():
    raise AssertionError("the check failed")
"""


def feature(*steps: str) -> str:
    """A gate feature with one scenario per step: 'Service check' first, 'Host check' second."""
    names = ("Service check", "Host check")
    body = "".join(
        f"  Scenario: {name}\n    Given a check that {step}\n\n" for name, step in zip(names, steps, strict=True)
    )
    return f"@gate @runbook:rollback:1\nFeature: Gate\n{body}"


def run_gate(tmp_path: Path, config: str, *steps: str) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    """Run `opsready gate` on a tiny suite; the process and its readiness.json."""
    (tmp_path / "opsready.yaml").write_text(config)
    for name, text in (
        ("runbooks/rollback.md", RUNBOOK),
        ("features/gate.feature", feature(*steps)),
        ("steps/test_gate.py", STEPS),
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSREADY_")}
    command = [sys.executable, "-m", "opsready.cli", "gate", "--config", str(tmp_path / "opsready.yaml")]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120, check=False)
    report = json.loads((tmp_path / "reports" / "readiness.json").read_text())
    return done, report


@pytest.mark.parametrize(
    ("steps", "verdict", "code"),
    [
        (("skips", "skips"), "not ready", 1),
        (("passes", "skips"), "not ready", 1),
        (("passes", "fails"), "not ready", 1),
        (("passes", "passes"), "ready", 0),
    ],
    ids=["all-skipped", "one-unexpected-skip", "a-failure", "all-passed"],
)
def test_the_exit_code_follows_the_verdict(tmp_path: Path, steps: tuple[str, str], verdict: str, code: int) -> None:
    """Skips nobody declared make the gate NOT READY with exit 1; a failure too; all passed is READY with 0."""
    done, report = run_gate(tmp_path, CONFIG, *steps)
    assert report["verdict"] == verdict
    assert done.returncode == code, done.stdout + done.stderr
    assert ("NOT READY" in done.stdout) == (verdict == "not ready"), done.stdout
    if "skips" in steps:
        assert "skipped, not expected: Host check (Skipped: no hosts here)" in done.stdout
        assert "**NOT EXPECTED**" in (tmp_path / "reports" / "readiness.md").read_text()
        assert "skip not expected: the gate is not ready" in (tmp_path / "reports" / "readiness.html").read_text()


def test_a_skip_declared_expected_is_ready_with_its_reason(tmp_path: Path) -> None:
    """gate.expected_skips names the skipped scenario: READY, exit 0, the reason in the reports and the output."""
    done, report = run_gate(tmp_path, CONFIG + EXPECTED, "passes", "skips")
    assert done.returncode == 0, done.stdout + done.stderr
    assert report["verdict"] == "ready"
    skipped = next(s for s in report["scenarios"] if s["name"] == "Host check")
    assert skipped["expected_skip"] == "the hosts cannot be reached from CI"
    assert "skipped as expected: Host check (the hosts cannot be reached from CI)" in done.stdout
    markdown = (tmp_path / "reports" / "readiness.md").read_text()
    assert "- Host check: expected (the hosts cannot be reached from CI)" in markdown
    html = (tmp_path / "reports" / "readiness.html").read_text()
    assert "skipped as expected: the hosts cannot be reached from CI" in html


def test_an_expected_skip_does_not_make_an_all_skipped_gate_ready(tmp_path: Path) -> None:
    """Every scenario skipped, even expectedly: nothing was observed, so NOT READY."""
    done, report = run_gate(tmp_path, CONFIG + EXPECTED.replace("Host check", "Service check"), "skips", "skips")
    assert (report["verdict"], done.returncode) == ("not ready", 1), done.stdout + done.stderr
