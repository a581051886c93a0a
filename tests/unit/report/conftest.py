"""Run results built by hand for report tests: one passing drill with a timeline, one failure, one skip."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from opsready.results import RunResult, ScenarioResult
from opsready.targets.protocol import TargetDescription
from opsready.timeline import Event, Measurement, TimelineRecord


def timeline() -> TimelineRecord:
    """A rollback drill: detected after 4.2 s, rolled back in 3.1 s, healthy 0.8 s later (one target missed)."""
    return TimelineRecord(
        name="bad release is rolled back",
        started_wall="2026-11-27T10:00:00.000Z",
        events=(
            Event("deployed", 1.0, "2026-11-27T10:00:01.000Z", "1.3.0-errors"),
            Event("detected", 5.2, "2026-11-27T10:00:05.200Z", "error_rate: error rate 33.3% (10/30) above 5.0%"),
            Event("rollback_started", 5.2, "2026-11-27T10:00:05.200Z", "error_rate"),
            Event("rolled_back", 8.3, "2026-11-27T10:00:08.300Z", "1.2.0"),
            Event("healthy", 9.1, "2026-11-27T10:00:09.100Z", "1.2.0", "probe"),
        ),
        measurements=(
            Measurement("time to detect", "deployed", "detected", 4.2, 60.0),
            Measurement("time to roll back", "detected", "rolled_back", 3.1, 300.0),
            Measurement("time until healthy", "rolled_back", "healthy", 0.8, 0.5),
            Measurement("time to recover", "deployed", "healthy", 8.1),
        ),
    )


def make_result(*scenarios: ScenarioResult, target: TargetDescription | None = None) -> RunResult:
    """A run over the given scenarios."""
    return RunResult(
        started="2026-11-27T10:00:00Z",
        finished="2026-11-27T10:02:03Z",
        duration=123.456,
        target=target,
        scenarios=scenarios,
        selection="-m rollback",
        notes=("sandbox database: postgresql",),
    )


PASSED = ScenarioResult(
    nodeid="steps/test_rollback.py::test_a_bad_release_is_rolled_back",
    name="A bad release is rolled back",
    feature="Rollback",
    outcome="passed",
    duration=9.87,
    runbooks=("rollback", "deployment"),
    markers=("rollback", "drill"),
    timeline=timeline(),
)
FAILED = ScenarioResult(
    nodeid="steps/test_deployment.py::test_zero_dropped_requests",
    name="Deploy | switch drops no request",
    feature="Deployment",
    outcome="failed",
    duration=2.5,
    runbooks=("deployment",),
    message="AssertionError: 3 requests failed during the switch\nassert 3 == 0",
)
SKIPPED = ScenarioResult(
    nodeid="steps/test_capacity.py::test_capacity",
    name="Capacity",
    feature="Capacity",
    outcome="skipped",
    duration=0.0,
    message="locust not installed",
)
TARGET = TargetDescription(
    name="sandbox",
    platform="sandbox",
    base_url="http://127.0.0.1:8080",
    details=(("database", "postgresql"), ("release", "1.2.0")),
)


MakeResult = Callable[..., RunResult]


@pytest.fixture
def make() -> MakeResult:
    """Build a run over the given scenarios (and target)."""
    return make_result


@pytest.fixture
def passed() -> ScenarioResult:
    """A passing rollback drill with a timeline and measurements."""
    return PASSED


@pytest.fixture
def failed() -> ScenarioResult:
    """A failed scenario with a two-line message and a '|' in its name."""
    return FAILED


@pytest.fixture
def ready() -> RunResult:
    """A run where everything that ran passed."""
    return make_result(PASSED, SKIPPED, target=TARGET)


@pytest.fixture
def not_ready() -> RunResult:
    """A run with one failure."""
    return make_result(PASSED, FAILED, SKIPPED, target=TARGET)
