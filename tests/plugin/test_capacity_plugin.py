"""The capacity steps in a user's own suite: a malformed capacity file fails the scenario with `path:line`, before
any load or target is touched."""

from __future__ import annotations

import pytest

CONFIG = """\
version: 1
targets:
  sandbox:
    platform: sandbox
    state_dir: st
"""

FEATURE = """\
@capacity
Feature: Capacity
  Background:
    Given the target is healthy

  Scenario: Thresholds
    Given the "planned" load is running
    Then every threshold was met
"""

CAPACITY = """\
version: 1
planned_load: planned
thresholds:
  - p95 < 300ms
  - rps > fast
"""

PROFILES = """\
version: 1
profiles:
  planned: {users: 1, duration: 1s}
  finder: {users: 1, duration: 1s}
"""


def test_a_malformed_capacity_file_fails_the_scenario_at_its_line(pytester: pytest.Pytester) -> None:
    """`loadtests/capacity.yaml:5: ...` without a traceback of ours, before the Background opens the target (a
    sandbox target would have created its state dir ``st``) and before any load starts."""
    pytester.makefile(".yaml", opsready=CONFIG)
    pytester.mkdir("features")
    (pytester.path / "features" / "capacity.feature").write_text(FEATURE)
    pytester.mkdir("loadtests")
    (pytester.path / "loadtests" / "capacity.yaml").write_text(CAPACITY)
    (pytester.path / "loadtests" / "profiles.yaml").write_text(PROFILES)
    pytester.makepyfile(test_user_capacity_suite='from pytest_bdd import scenarios\n\nscenarios("capacity.feature")\n')
    pytester.makeini("[pytest]\nbdd_features_base_dir = features\nasyncio_default_fixture_loop_scope = function\n")
    result = pytester.runpytest("-q", "-m", "capacity")
    result.assert_outcomes(errors=1)  # at set-up, before the first step
    result.stdout.fnmatch_lines(["*loadtests/capacity.yaml:5: expected requests per second*", "*- rps > fast*"])
    assert not (pytester.path / "st").exists(), "the target was touched"
