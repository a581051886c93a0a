"""``opsready init``: a starter suite that passes config check, the runbook lint and pytest's collection at once,
written into an empty directory or beside an existing repository's files, never over them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from opsready.cli.init import render, starter_files

DRILLS = (
    "steps/test_candidate.py::test_the_candidate_is_deployed_by_the_runbook_under_traffic",
    "steps/test_candidate.py::test_the_candidate_is_rolled_back_to_the_previous_release_and_forward_again",
    "steps/test_candidate.py::test_a_synthetic_flaw_on_the_candidate_is_ended_by_the_real_rollback",
    "steps/test_chaos.py::test_experiment_is_detected_reverted_and_recovered_from",
    "steps/test_deployment.py::test_a_release_is_deployed_by_the_runbook",
    "steps/test_host_state.py::test_hosts_are_in_the_expected_state",
    "steps/test_rollback.py::test_manual_rollback_to_the_previous_release",
)


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "OPSREADY_CONFIG"}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180, check=False
    )


def _opsready(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return _run("-m", "opsready.cli", *args, cwd=cwd)


def _tree(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("platform", ["sandbox", "hosts", "kubernetes"])
def test_a_fresh_suite_passes_config_check_lint_and_collection(tmp_path: Path, platform: str) -> None:
    """Every platform's starter suite: config check 0, lint 0 with placeholder warnings, the four drills collected."""
    suite = tmp_path / "suite"
    done = _opsready("init", str(suite), "--platform", platform, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = set(_tree(suite))
    assert written == {f.path for f in starter_files(_experiment(suite))}
    assert ".github/workflows/opsready.yml" in written
    check = _opsready("config", "check", cwd=suite)
    assert check.returncode == 0, check.stderr
    lint = _opsready("runbooks", "lint", cwd=suite)
    assert lint.returncode == 0, lint.stderr
    assert "warning: runbooks/deployment.md:4: placeholder left to fill in: [FILL IN: owning team]" in lint.stderr
    assert "error" not in lint.stderr
    collect = _run("-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", cwd=suite)
    assert collect.returncode == 0, collect.stdout + collect.stderr
    collected = sorted(line.split("[")[0] for line in collect.stdout.splitlines() if line.startswith("steps/"))
    assert collected == sorted(DRILLS)


def _experiment(suite: Path) -> str:
    return next((suite / "experiments").glob("*.yaml")).stem


def test_strict_lint_turns_placeholders_into_errors(tmp_path: Path) -> None:
    """--strict: every placeholder is an error (exit 2); once filled in, the same lint passes."""
    suite = tmp_path / "suite"
    assert _opsready("init", str(suite), cwd=tmp_path).returncode == 0
    strict = _opsready("runbooks", "lint", "--strict", cwd=suite)
    assert strict.returncode == 2
    assert "error: runbooks/rollback.md:4: placeholder left to fill in: [FILL IN: owning team]" in strict.stderr
    assert "error: gamedays/README.md:" in strict.stderr
    assert "error: profile.yaml:" not in strict.stderr  # the sandbox serves the orders service: its profile is complete
    for path in suite.rglob("*"):
        if path.is_file() and "[FILL IN" in path.read_text(encoding="utf-8"):
            text = path.read_text(encoding="utf-8").replace("[FILL IN: owning team]", "platform-operations")
            path.write_text(text.replace("[FILL IN", "[filled"), encoding="utf-8")
    filled = _opsready("runbooks", "lint", "--strict", cwd=suite)
    assert filled.returncode == 0, filled.stderr


def test_collisions_are_listed_and_nothing_is_written(tmp_path: Path) -> None:
    """An existing file the suite needs (and a file where a directory of it goes): all listed, exit 2, no change."""
    repo = tmp_path / "repo"
    (repo / "runbooks").mkdir(parents=True)
    (repo / "opsready.yaml").write_text("mine\n", encoding="utf-8")
    (repo / "runbooks" / "rollback.md").write_text("my rollback\n", encoding="utf-8")
    (repo / "loadtests").write_text("a file, not a directory\n", encoding="utf-8")
    before = _tree(repo)
    done = _opsready("init", str(repo), cwd=tmp_path)
    assert done.returncode == 2
    listed = [line.strip() for line in done.stderr.splitlines() if line.startswith("  ")]
    assert listed == [str(repo / p) for p in ("opsready.yaml", "runbooks/rollback.md", "loadtests/locustfile.py")]
    assert "nothing was written" in done.stderr
    assert _tree(repo) == before
    assert "Traceback" not in done.stderr


def test_init_inside_an_existing_repository_keeps_its_files(tmp_path: Path) -> None:
    """Files of the repository that the suite does not need are left as they were, beside the new suite."""
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "README.md").write_text("# my service\n", encoding="utf-8")
    (repo / "src" / "app.py").write_text("print('hi')\n", encoding="utf-8")
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text("name: ci\n", encoding="utf-8")
    before = _tree(repo)
    done = _opsready("init", str(repo), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    after = _tree(repo)
    assert {k: after[k] for k in before} == before
    assert "opsready.yaml" in after and ".github/workflows/opsready.yml" in after


def test_templates_fill_every_platform_value() -> None:
    """The sandbox's suite names real releases and no placeholder where the gate runs it; others say what to fill."""
    sandbox = dict(render("sandbox"))
    assert 'Given the target runs release "1.1.0" after "1.0.0"' in sandbox["features/rollback.feature"]
    assert "[FILL IN" not in "".join(sandbox[p] for p in sandbox if p.startswith(("features/", "steps/", "experim")))
    hosts = dict(render("hosts"))
    assert "[FILL IN: the release candidate]" in hosts["features/deployment.feature"]
    assert "platform: hosts" in hosts["opsready.yaml"]
    assert "kubernetes_namespaces: [myservice]" in dict(render("kubernetes"))["opsready.yaml"]
