"""`opsready runbooks report`: the eight quality metrics as text and JSON over a small suite; a bad coverage list is a
path:line error with exit code 2; git history is measured only where it exists (no repository, a shallow clone:
"no history")."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from opsready.cli.main import cli
from opsready.report.history import PastRun, PastScenario, append_history
from opsready.results import StepRef

ROOT = Path(__file__).resolve().parents[2]
COVERAGE = """version: 1
scenarios:
  - id: roll-back
    title: Roll back a release
    runbooks: [rollback]
incident_classes:
  - id: cluster-down
    title: Kubernetes cluster down
    runbooks: []
"""
FEATURE = "Feature: Rollback\n  @runbook:rollback:4\n  Scenario: A bad release is rolled back\n    Given x\n"


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    """The shipped rollback runbook, a two-item coverage list, one tagged scenario, one passing run in the history."""
    (tmp_path / "runbooks").mkdir()
    shutil.copy(ROOT / "runbooks" / "rollback.md", tmp_path / "runbooks" / "rollback.md")
    (tmp_path / "runbooks" / "coverage.yaml").write_text(COVERAGE)
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "rollback.feature").write_text(FEATURE)
    scenario = PastScenario("s", "Rollback", "passed", ("rollback",), (StepRef("rollback", 4),), "s", ())
    run = PastRun("r1", "drill", "2026-11-30T10:00:00Z", "2026-11-30T10:01:00Z", "ready", "sandbox", "", (scenario,))
    append_history(tmp_path / "reports" / "history.jsonl", run)
    return tmp_path


def report(suite: Path, *args: str) -> Result:
    argv = ["runbooks", "report", "--root", str(suite), "--today", "2026-12-02", *args]
    return CliRunner().invoke(cli, argv, catch_exceptions=False)


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                   capture_output=True, timeout=30)  # fmt: skip


def test_text_report_shows_every_metric_and_says_no_data(suite: Path) -> None:
    result = report(suite)
    assert result.exit_code == 0, result.output
    assert "Completeness: covered 1 of 2 (50.0 %); drilled 1 of 2 (50.0 %)" in result.output
    assert "not covered: incident class 'cluster-down'" in result.output
    assert "Accuracy: 1 of 7 (14.3 %)" in result.output
    assert "Procedure adherence: no data" in result.output
    assert "no history: not a git repository" in result.output


def test_json_report(suite: Path) -> None:
    result = report(suite, "--json", "--days", "1")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    by_key = {m["key"]: m for m in data["metrics"]}
    assert data["schema"] == "opsready.quality/1" and len(by_key) == 8
    assert by_key["completeness"]["number"] == 0.5
    assert by_key["accuracy"]["value"] == "no data"  # the only run is 2 days old, the window 1 day
    assert by_key["currency"]["number"] == 1.0
    assert by_key["training"]["has_data"] is False


def test_bad_coverage_list_is_a_path_line_error(suite: Path) -> None:
    path = suite / "runbooks" / "coverage.yaml"
    path.write_text(COVERAGE.replace("runbooks: [rollback]", "runbooks: [rollbak]"))
    result = CliRunner().invoke(cli, ["runbooks", "report", "--root", str(suite)])
    assert result.exit_code == 2
    assert f"{path}:5:" in result.output and "'rollbak'" in result.output and "Traceback" not in result.output


def test_git_history_is_counted_and_a_shallow_clone_has_none(
    suite: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    git(suite, "init", "-q")
    git(suite, "add", "runbooks")
    git(suite, "commit", "-q", "-m", "runbooks")
    (suite / "runbooks" / "rollback.md").write_text((suite / "runbooks" / "rollback.md").read_text() + "\n")
    git(suite, "commit", "-q", "-am", "review")
    data = json.loads(report(suite, "--json").output)
    assert next(m for m in data["metrics"] if m["key"] == "improvement")["evidence"] == (
        "2 commit(s) changed runbooks/ in all"
    )
    clone = tmp_path_factory.mktemp("clone") / "suite"
    git(clone.parent, "clone", "-q", "--depth", "1", f"file://{suite}", str(clone))
    text = report(clone).output
    assert "no history: a shallow clone" in text
