"""The plugin's reports as users meet them: step tags, readiness.html, history, score and --opsready-min-score."""

from __future__ import annotations

import json

import pytest

CONFIG = """\
version: 1
default_target: sandbox
targets:
  sandbox:
    platform: sandbox
    state_dir: st
"""

RUNBOOK = """\
---
id: rollback
title: Roll back a release
owner: platform-operations
last_reviewed: 2026-11-27
category: rollback
targets:
  rollback_within: 5 minutes
---
# Roll back a release

## Overview
Put the previous release back into service.

## Prerequisites
- Access to the target

## Steps
1. Check the release history.
2. Roll back.
3. Validate.

## Rollback
- Roll forward with an emergency deployment.

## Contacts
- Primary (on-call engineer): [ON-CALL NAME]
- Escalation (team lead): [TEAM LEAD NAME]
"""

FEATURE = """\
@rollback @runbook:rollback
Feature: Drill
  @runbook:rollback:2 @runbook:rollback:3
  Scenario: Timed drill
    Given a drill started
    When it is detected after a moment
    Then the time to detect is measured
"""

STEPS = """\
import time
from pytest_bdd import given, when, then, scenarios

scenarios("drill.feature")

@given("a drill started")
def started(timeline):
    timeline.mark("injected", "kill-worker: SIGKILL")

@when("it is detected after a moment")
def detected(timeline):
    time.sleep(0.02)
    timeline.mark("detected")
    timeline.mark("recovered")

@then("the time to detect is measured")
def measured(timeline, request):
    marks = [(m.args, m.kwargs) for m in request.node.iter_markers("runbook")]
    assert (("rollback",), {"step": 2}) in marks and (("rollback",), {"step": 3}) in marks
    timeline.measure("time to recover", "injected", "recovered", target=60)
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A suite with one runbook and one drill tagged with two of its steps (nothing touches a target)."""
    pytester.makefile(".yaml", opsready=CONFIG)
    pytester.mkdir("features")
    pytester.mkdir("runbooks")
    (pytester.path / "features" / "drill.feature").write_text(FEATURE)
    (pytester.path / "runbooks" / "rollback.md").write_text(RUNBOOK)
    (pytester.path / "out" / "reviews").mkdir(parents=True)
    (pytester.path / "out" / "reviews" / "incident-42.md").write_text("# Post-incident review draft\n")
    pytester.makepyfile(test_drill=STEPS)
    pytester.makeini("[pytest]\nbdd_features_base_dir = features\nasyncio_default_fixture_loop_scope = function\n")
    return pytester


def test_reports_history_and_score(suite: pytest.Pytester) -> None:
    """Step tags reach the results; html and the history line are written; every run adds one line."""
    result = suite.runpytest("--opsready-reports=out", "--opsready-kind=gate", "-q")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*opsready: readiness score*", "readiness score 16.7/100", "*rollback 100*"])
    data = json.loads((suite.path / "out" / "readiness.json").read_text())
    scenario = data["scenarios"][0]
    assert scenario["runbooks"] == ["rollback"]
    assert scenario["runbook_steps"] == [{"runbook": "rollback", "step": 2}, {"runbook": "rollback", "step": 3}]
    assert data["kind"] == "gate" and data["run_id"]
    assert data["score"]["overall"] == 16.7
    html = (suite.path / "out" / "readiness.html").read_text()
    assert "2 of 3 steps verified" in html
    assert '<a href="reviews/incident-42.md">incident-42.md</a>' in html
    assert "Time to recover: fault kill-worker" in html
    suite.runpytest("--opsready-reports=out", "-q").assert_outcomes(passed=1)
    lines = (suite.path / "out" / "history.jsonl").read_text().splitlines()
    assert [json.loads(line)["kind"] for line in lines] == ["gate", "drill"]


def test_a_score_below_the_minimum_fails_the_run(suite: pytest.Pytester) -> None:
    """Every scenario passed, but 16.7 < 50: exit code 1 and the summary says why; 10 is met."""
    result = suite.runpytest("--opsready-reports=out", "--opsready-min-score=50", "-q")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["readiness score 16.7/100 (minimum 50.0: BELOW MINIMUM: the run fails)"])
    assert "(minimum 50.0: **BELOW MINIMUM**)" in (suite.path / "out" / "readiness.md").read_text()
    result = suite.runpytest("--opsready-reports=out", "--opsready-min-score=10", "-q")
    assert result.ret == pytest.ExitCode.OK


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--opsready-min-score=50"], "*--opsready-min-score needs --opsready-reports DIR*"),
        (["--opsready-min-score=150", "--opsready-reports=out"], "*must lie between 0 and 100, not 150*"),
    ],
)
def test_a_bad_minimum_is_refused_before_anything_runs(suite: pytest.Pytester, args: list[str], message: str) -> None:
    """Usage error (exit 4), no test ran, no report written."""
    result = suite.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert not (suite.path / "out" / "history.jsonl").exists()
