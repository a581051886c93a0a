"""The pytest plugin as users meet it: markers, options, Gherkin preflight, safety refusals, reports."""

from __future__ import annotations

import json

import pytest

CONFIG = """\
version: 1
default_target: {default}
targets:
  sandbox:
    platform: sandbox
    state_dir: st
  staging:
    platform: kubernetes
    namespace: shop
safety:
  destructive_targets: [sandbox]
"""

FEATURE = """\
@rollback @runbook:rollback
Feature: Drill
  Scenario: Timed drill
    Given a drill started
    When it is detected after a moment
    Then the time to detect is measured

  @gate
  Scenario: Another drill
    Given a drill started
"""

# pytest-asyncio warns in a run whose configuration leaves its loop scope unset, as a bare pytester directory does
QUIET_ASYNCIO = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"

STEPS = """\
import time
from pytest_bdd import given, when, then, scenarios

scenarios("drill.feature")

@given("a drill started")

def started(timeline):
    timeline.mark("deployed")

@when("it is detected after a moment")
def detected(timeline):
    time.sleep(0.02)
    timeline.mark("detected")

@then("the time to detect is measured")
def measured(timeline):
    assert timeline.measure("time to detect", "deployed", "detected", target=60).ok
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A tiny suite: config, one feature, its steps (none touch a target)."""
    pytester.makefile(".yaml", opsready=CONFIG.format(default="sandbox"))
    pytester.mkdir("features")
    (pytester.path / "features" / "drill.feature").write_text(FEATURE)
    pytester.makepyfile(test_drill=STEPS)
    pytester.makeini("[pytest]\nbdd_features_base_dir = features\nasyncio_default_fixture_loop_scope = function\n")
    return pytester


def test_markers_are_registered_with_descriptions(pytester: pytest.Pytester) -> None:
    """`pytest --markers` documents every opsready marker."""
    pytester.makeini(QUIET_ASYNCIO)
    result = pytester.runpytest("--markers")
    for marker in ("gate:", "rollback:", "destructive:", "chaos:", "cluster:", "runbook(id):"):
        result.stdout.fnmatch_lines([f"@pytest.mark.{marker}*"])


def test_options_live_in_one_group(pytester: pytest.Pytester) -> None:
    """All options are in the 'operational readiness (opsready)' group of --help."""
    pytester.makeini(QUIET_ASYNCIO)
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["operational readiness (opsready):", "*--target=NAME*", "*--allow-destructive*"])


def test_runbook_tags_become_markers_and_select(suite: pytest.Pytester) -> None:
    """@runbook:<id> works under --strict-markers, and -m selects by feature tags."""
    result = suite.runpytest("--strict-markers", "-m", "gate", "-q")
    result.assert_outcomes(passed=1, deselected=1)
    result = suite.runpytest("--strict-markers", "-m", "rollback", "-q")
    result.assert_outcomes(passed=2)


def test_reports_carry_outcomes_runbooks_and_measurements(suite: pytest.Pytester) -> None:
    """--opsready-reports writes readiness.json/md with the scenario's timeline and measured durations."""
    result = suite.runpytest("--opsready-reports=out", "-q")
    result.assert_outcomes(passed=2)
    data = json.loads((suite.path / "out" / "readiness.json").read_text())
    assert data["verdict"] == "ready"
    timed = next(s for s in data["scenarios"] if s["name"] == "Timed drill")
    assert timed["runbooks"] == ["rollback"]
    assert timed["outcome"] == "passed"
    measurement = timed["timeline"]["measurements"][0]
    assert measurement["name"] == "time to detect"
    assert 0.01 < measurement["seconds"] < 5
    assert measurement["target"] == 60
    assert "**READY**" in (suite.path / "out" / "readiness.md").read_text()
    result.stdout.fnmatch_lines(["*opsready: measured timings*", "*Timed drill: time to detect:*ok"])


def test_a_failed_drill_makes_the_verdict_not_ready(suite: pytest.Pytester) -> None:
    """A failing step makes the run 'not ready' in the report."""
    (suite.path / "test_drill.py").write_text(STEPS.replace("target=60", "target=0.001"))
    result = suite.runpytest("--opsready-reports=out", "-q")
    result.assert_outcomes(passed=1, failed=1)
    data = json.loads((suite.path / "out" / "readiness.json").read_text())
    assert data["verdict"] == "not ready"


def test_undefined_step_stops_the_run_before_anything_runs(suite: pytest.Pytester) -> None:
    """A Gherkin step with no definition: file:line and the step, exit code 2, no scenario ran, no sandbox started."""
    feature = suite.path / "features" / "drill.feature"
    feature.write_text(
        FEATURE.replace("    Then the time to detect is measured", "    Then the moon is made of cheese")
    )
    result = suite.runpytest("-q")
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*drill.feature:6: no step definition for: Then the moon is made of cheese*"])
    assert "passed" not in result.stdout.str()
    assert not (suite.path / "st").exists()


def test_destructive_tests_are_refused_on_a_target_not_allowlisted(suite: pytest.Pytester) -> None:
    """Not in safety.destructive_targets: skipped with the reason; asked for with --allow-destructive, they fail."""
    suite.makepyfile(test_danger="import pytest\n\n@pytest.mark.destructive\ndef test_kill_things():\n    pass\n")
    result = suite.runpytest("test_danger.py", "--target=staging", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*refused: target 'staging' is not in safety.destructive_targets*"])
    result = suite.runpytest("test_danger.py", "--target=staging", "--allow-destructive")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*refused: target 'staging' is not in safety.destructive_targets*"])
    result = suite.runpytest("test_danger.py")
    result.assert_outcomes(passed=1)
