"""The plugin follows the safety and lifecycle table (docs/design.md): the pytest and gate rows.

Four targets: `sandbox` (disposable, not allowlisted), `lab` (disposable, allowlisted), `prod` (real, allowlisted) and
`kept` (real, not allowlisted). Nothing here starts a sandbox or contacts a cluster (its kubeconfig does not exist);
starting a stopped sandbox for the run is checked by tests/integration/sandbox/test_sandbox_lifecycle.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.suites import RUNBOOK, STEPS, four_targets, gate_feature, kube_target

CONFIG = four_targets(kube_target("."))
DANGER = "import pytest\n\n@pytest.mark.destructive\ndef test_kill_things():\n    pass\n"
USES_TARGET = "def test_uses_the_target(target):\n    assert target.kind in ('disposable', 'real')\n"


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """The four targets; state directories as configured (no $OPSREADY_STATE_DIR)."""
    monkeypatch.delenv("OPSREADY_STATE_DIR", raising=False)
    pytester.makefile(".yaml", opsready=CONFIG)
    pytester.makepyfile(test_danger=DANGER, test_uses=USES_TARGET)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester


def untouched(suite: pytest.Pytester) -> None:
    """No sandbox state was created and no cluster state directory either."""
    for name in ("st-sandbox", "st-lab", ".opsready"):
        assert not (suite.path / name).exists(), f"{name} was created"


@pytest.mark.parametrize("kind", ["drill", "gate"])
@pytest.mark.parametrize("target", ["sandbox", "kept"])
def test_a_target_not_allowlisted_gets_no_destructive_scenario(suite: pytest.Pytester, target: str, kind: str) -> None:
    """The sandbox too: skipped with the reason; with --allow-destructive (asked for explicitly) it fails."""
    result = suite.runpytest("test_danger.py", f"--target={target}", f"--opsready-kind={kind}", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines([f"*refused: target '{target}' is not in safety.destructive_targets*"])
    result = suite.runpytest("test_danger.py", f"--target={target}", f"--opsready-kind={kind}", "--allow-destructive")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*refused: target '{target}' is not in safety.destructive_targets*"])
    untouched(suite)


@pytest.mark.parametrize("kind", ["drill", "gate"])
def test_an_allowlisted_real_target_needs_the_flag(suite: pytest.Pytester, kind: str) -> None:
    """Skipped without --allow-destructive, run with it; an allowlisted disposable target needs no flag."""
    result = suite.runpytest("test_danger.py", "--target=prod", f"--opsready-kind={kind}", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*refused: destructive scenario on real kubernetes target 'prod' needs*"])
    result = suite.runpytest("test_danger.py", "--target=prod", f"--opsready-kind={kind}", "--allow-destructive")
    result.assert_outcomes(passed=1)
    result = suite.runpytest("test_danger.py", "--target=lab", f"--opsready-kind={kind}")
    result.assert_outcomes(passed=1)
    untouched(suite)


def test_a_real_target_is_used_as_it_is(suite: pytest.Pytester) -> None:
    """Nobody asks whether a real target runs (that would contact the cluster, whose kubeconfig is absent)."""
    result = suite.runpytest("test_uses.py", "--target=prod")
    result.assert_outcomes(passed=1)
    untouched(suite)


def test_start_target_never_refuses_a_stopped_disposable_target(suite: pytest.Pytester) -> None:
    """--start-target=never: the test that needs the target errors with how to start it; nothing is started."""
    result = suite.runpytest("test_uses.py", "--target=lab", "--start-target=never")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*target 'lab' is not running*", "*hint: start it with: opsready sandbox up --target lab*"]
    )
    untouched(suite)


def test_the_old_sandbox_option_still_works_and_says_it_is_deprecated(suite: pytest.Pytester) -> None:
    """--sandbox=use is --start-target=never, with a deprecation warning; --help shows only the new name."""
    result = suite.runpytest("test_uses.py", "--target=lab", "--sandbox=use")
    result.assert_outcomes(errors=1, warnings=1)
    result.stdout.fnmatch_lines(["*target 'lab' is not running*", "*--sandbox is deprecated: use --start-target*"])
    untouched(suite)
    helped = suite.runpytest("--help")
    helped.stdout.fnmatch_lines(["*--start-target={auto,never}*"])
    assert "--sandbox=" not in helped.stdout.str()


GATE_FEATURE = gate_feature(destructive=True)


def test_the_gate_passes_allow_destructive_on_to_pytest(tmp_path: Path) -> None:
    """`opsready gate --target prod`: the destructive gate scenario is skipped; with --allow-destructive it runs."""
    (tmp_path / "opsready.yaml").write_text(CONFIG + "reports_dir: reports\n")
    for name, text in (
        ("runbooks/rollback.md", RUNBOOK),
        ("features/drill.feature", GATE_FEATURE),
        ("steps/test_drill.py", STEPS),
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSREADY_")}
    command = [sys.executable, "-m", "opsready.cli", "gate", "--config", str(tmp_path / "opsready.yaml")]
    command += ["--target", "prod"]
    refused = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120, check=False)
    assert "1 skipped" in refused.stdout, refused.stdout + refused.stderr
    allowed = subprocess.run(
        [*command, "--allow-destructive"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "READY (1 passed; 0 target(s) missed)" in allowed.stdout
    assert not (tmp_path / ".opsready").exists()
