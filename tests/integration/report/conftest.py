"""A game-day-like run built as data, rich enough to exercise every part of the HTML report in a real browser."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from opsready.results import Artifact, RunbookInfo, RunbookStep, RunResult, ScenarioResult, StepRef, TrafficPoint
from opsready.targets.protocol import TargetDescription
from opsready.timeline import Event, Measurement, TimelineRecord


def _event(kind: str, at: float, detail: str = "", source: str = "auto") -> Event:
    return Event(kind, at, f"2026-11-27T10:00:{at:06.3f}Z", detail, source)


def _traffic(seconds: int, bad: tuple[float, float], errors: float, slow: float) -> tuple[TrafficPoint, ...]:
    points = []
    for t in range(seconds):
        inside = bad[0] <= t < bad[1]
        requests = 40
        failed = round(requests * errors) if inside else 0
        p95 = (0.012 + 0.003 * math.sin(t)) + (slow if inside else 0.0)
        points.append(TrafficPoint(float(t), requests, failed, p95))
    return tuple(points)


def rollback_drill() -> ScenarioResult:
    """A flawed release rolled back automatically, with background traffic that saw the errors."""
    events = (
        _event("started", 0.2, "deploy 1.3.0-errors"),
        _event("deploy_started", 1.0, "1.2.0 -> 1.3.0-errors"),
        _event("deployed", 1.4, "1.3.0-errors"),
        _event("detected", 3.1, "error_rate: error rate 33.3% (10/30) above 5.0%"),
        _event("rollback_started", 3.1, "error_rate"),
        _event("rolled_back", 3.6, "1.2.0"),
        _event("healthy", 4.4, "1.2.0"),
        _event("finished", 9.0),
    )
    measurements = (
        Measurement("time to deploy", "deploy_started", "deployed", 0.4, 300.0),
        Measurement("time to detect", "deployed", "detected", 1.7, 60.0),
        Measurement("time to roll back", "detected", "rolled_back", 0.5, 300.0),
        Measurement("time until healthy", "rolled_back", "healthy", 0.8, 60.0),
        Measurement("time to recover", "deployed", "healthy", 3.0, 300.0),
    )
    return ScenarioResult(
        nodeid="steps/test_rollback.py::test_flawed[1.3.0-errors-error_rate]",
        name="A flawed release is detected and rolled back automatically [1.3.0-errors-error_rate]",
        feature="Rollback procedures",
        outcome="passed",
        duration=11.2,
        runbooks=("rollback", "deployment"),
        markers=("gate", "rollback"),
        timeline=TimelineRecord("flawed release", "2026-11-27T10:00:00.000Z", events, measurements),
        traffic=_traffic(10, (1.4, 4.4), 0.33, 0.004),
        runbook_steps=(StepRef("deployment", 4), StepRef("rollback", 1)),
    )


def chaos_drill() -> ScenarioResult:
    """A database latency fault detected, acknowledged by a person and recovered, with slow requests meanwhile."""
    events = (
        _event("injected", 2.0, "db-latency: +400 ms on the database link"),
        _event("detected", 4.5, "p95 latency 420 ms above 300 ms"),
        _event("acknowledged", 9.0, "on-call engineer", "manual"),
        _event("reverted", 12.0, "db-latency: link back to normal"),
        _event("recovered", 13.5, "steady state holds (health, error rate)"),
    )
    measurements = (
        Measurement("time to detect", "injected", "detected", 2.5, 60.0),
        Measurement("time to acknowledge", "detected", "acknowledged", 4.5, 900.0),
        Measurement("time to recover", "reverted", "recovered", 1.5, 60.0),
    )
    return ScenarioResult(
        nodeid="steps/test_incident.py::test_database_latency",
        name="Database latency is detected and acknowledged",
        feature="Incident response",
        outcome="passed",
        duration=16.0,
        runbooks=("incident-database",),
        markers=("chaos", "incident"),
        timeline=TimelineRecord("database latency", "2026-11-27T10:01:00.000Z", events, measurements),
        traffic=_traffic(16, (2.0, 13.5), 0.0, 0.41),
        runbook_steps=(StepRef("incident-database", 1), StepRef("incident-database", 2)),
    )


def failed_drill() -> ScenarioResult:
    """A failed deployment drill whose message carries HTML and a canary secret."""
    return ScenarioResult(
        nodeid="steps/test_deployment.py::test_emergency",
        name="An emergency deployment <script>alert('x')</script> keeps checks",
        feature="Deployment procedures",
        outcome="failed",
        duration=3.3,
        runbooks=("emergency-deployment",),
        message="AssertionError: post-deploy failed; DATABASE_URL=postgresql://ops:CANARY-hunter2@db/orders "
        "password=CANARY-pw token: CANARY-tok",
        timeline=TimelineRecord(
            "emergency",
            "2026-11-27T10:02:00.000Z",
            (_event("deploy_started", 0.5, "1.0.0 -> 1.1.0"), _event("deployed", 0.9, "1.1.0")),
            (Measurement("time to deploy", "deploy_started", "deployed", 0.4, 300.0),),
        ),
        runbook_steps=(StepRef("emergency-deployment", 3),),
    )


def runbooks() -> tuple[RunbookInfo, ...]:
    """Four runbooks with numbered steps, in three categories."""
    steps = tuple(RunbookStep(n, f"Step {n} of the procedure") for n in range(1, 8))
    return (
        RunbookInfo("deployment", "Deploy a release", "deployment", "runbooks/deployment.md", steps),
        RunbookInfo("emergency-deployment", "Emergency deployment", "deployment", "", steps),
        RunbookInfo("rollback", "Roll back a release", "rollback", "", steps),
        RunbookInfo("incident-database", "Database incident", "incident", "", steps[:4]),
    )


def game_day(reports: Path) -> RunResult:
    """The whole run, with a review draft and a journal on disk beside the reports."""
    (reports / "reviews").mkdir(parents=True, exist_ok=True)
    (reports / "journals").mkdir(parents=True, exist_ok=True)
    review = reports / "reviews" / "emergency 1.1.0.md"
    review.write_text("# Review\n")
    journal = reports / "journals" / "db-latency.json"
    journal.write_text("{}\n")
    return RunResult(
        started="2026-11-27T10:00:00Z",
        finished="2026-11-27T10:03:00Z",
        duration=180.0,
        target=TargetDescription("sandbox", "sandbox", "http://127.0.0.1:18080", (("database", "postgresql"),)),
        scenarios=(rollback_drill(), chaos_drill(), failed_drill()),
        selection="plan gamedays/q4.yaml",
        kind="gameday",
        run_id="20261127T100300Z-abc123",
        runbooks=runbooks(),
        artifacts=(
            Artifact("review", str(review), "2026-11-27T10:02:30Z"),
            Artifact("journal", str(journal), "2026-11-27T10:01:20Z"),
        ),
        training_releases=("1.3.0-errors",),
    )


@pytest.fixture
def sample_run(tmp_path: Path) -> RunResult:
    """A game-day-like run whose artifacts live under tmp_path/reports."""
    return game_day(tmp_path / "reports")
