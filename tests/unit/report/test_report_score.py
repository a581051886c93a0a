"""The readiness score: freshness credit with explicit dates, failing and missing drills, categories, the minimum."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opsready.report.history import PastRun, PastScenario
from opsready.report.score import CATEGORIES, credit, readiness_score
from opsready.results import RunbookInfo

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
ROLLBACK = RunbookInfo("rollback", "Roll back a release", "rollback")
DEPLOY = RunbookInfo("deployment", "Deploy a release", "deployment")
EMERGENCY = RunbookInfo("emergency-deployment", "Emergency deployment", "deployment")


def run(finished: str, *scenarios: tuple[str, str]) -> PastRun:
    """A recorded run whose scenarios are (runbook id, outcome) pairs."""
    past = tuple(PastScenario(f"drill of {rid}", "f", outcome, (rid,), (), rid, ()) for rid, outcome in scenarios)
    return PastRun(f"run-{finished}", "gate", finished, finished, "ready", "sandbox", "-m gate", past)


@pytest.mark.parametrize(
    ("age_days", "expected"),
    [(0, 1.0), (45, 1.0), (90, 1.0), (112.5, 0.75), (135, 0.5), (157.5, 0.25), (180, 0.0), (400, 0.0), (-2, 1.0)],
)
def test_credit_is_full_for_90_days_then_falls_to_none_at_180(age_days: float, expected: float) -> None:
    """Full credit up to 90 days, linear to 0 at 180 (a run timestamped slightly ahead counts as fresh)."""
    assert credit(age_days) == pytest.approx(expected)


def test_a_fresh_passing_drill_earns_full_credit() -> None:
    """A rollback drill that passed 10 days before scoring earns 100 in its category."""
    readiness = readiness_score((run("2026-11-17T12:00:00Z", ("rollback", "passed")),), (ROLLBACK,), NOW)
    category = readiness.category("rollback")
    assert category is not None
    assert category.score == 100.0
    scored = category.runbooks[0]
    assert (scored.credit, scored.passed, scored.last_drill) == (1.0, True, "2026-11-17T12:00:00Z")
    assert scored.age_days == pytest.approx(10.0)
    assert scored.reason == "passed 10 day(s) ago"


def test_a_stale_drill_loses_credit_by_its_age() -> None:
    """Last passed on 2026-07-15 (135 days before 2026-11-27): half credit; on 2026-05-01 (210 days): none."""
    half = readiness_score((run("2026-07-15T12:00:00Z", ("rollback", "passed")),), (ROLLBACK,), NOW)
    rollback = half.category("rollback")
    assert rollback is not None and rollback.score == 50.0
    assert "going stale: last passed 135 days ago" in rollback.runbooks[0].reason
    gone = readiness_score((run("2026-05-01T12:00:00Z", ("rollback", "passed")),), (ROLLBACK,), NOW)
    rollback = gone.category("rollback")
    assert rollback is not None and rollback.score == 0.0
    assert rollback.runbooks[0].reason.startswith("stale: last passed 210 days ago")


def test_the_latest_drill_counts_and_a_failure_there_earns_nothing() -> None:
    """An older pass does not rescue a newer failure; a newer pass replaces an older failure."""
    runs = (
        run("2026-11-01T12:00:00Z", ("rollback", "passed")),
        run("2026-11-20T12:00:00Z", ("rollback", "failed")),
    )
    failing = readiness_score(runs, (ROLLBACK,), NOW).category("rollback")
    assert failing is not None and failing.score == 0.0
    assert failing.runbooks[0].passed is False
    assert failing.runbooks[0].reason == "latest drill failed: drill of rollback"
    recovered = readiness_score((*runs, run("2026-11-25T12:00:00Z", ("rollback", "passed"))), (ROLLBACK,), NOW)
    category = recovered.category("rollback")
    assert category is not None and category.score == 100.0


def test_history_order_does_not_matter_only_finish_times_do() -> None:
    """The latest drill is chosen by finish time, not by position in the history."""
    runs = (
        run("2026-11-20T12:00:00Z", ("rollback", "failed")),
        run("2026-11-01T12:00:00Z", ("rollback", "passed")),
    )
    category = readiness_score(runs, (ROLLBACK,), NOW).category("rollback")
    assert category is not None and category.score == 0.0


def test_skipped_scenarios_are_no_drill_and_never_drilled_scores_zero() -> None:
    """A skipped scenario proves nothing: the runbook counts as never drilled."""
    readiness = readiness_score((run("2026-11-26T12:00:00Z", ("rollback", "skipped")),), (ROLLBACK,), NOW)
    category = readiness.category("rollback")
    assert category is not None and category.score == 0.0
    assert (category.runbooks[0].passed, category.runbooks[0].reason) == (None, "never drilled")


def test_categories_average_their_runbooks_and_the_overall_averages_six_categories() -> None:
    """deployment: one fresh pass and one never drilled = 50; rollback 100; four empty categories 0; overall 25."""
    runs = (run("2026-11-26T12:00:00Z", ("deployment", "passed"), ("rollback", "passed")),)
    readiness = readiness_score(runs, (DEPLOY, EMERGENCY, ROLLBACK), NOW)
    assert [c.category for c in readiness.categories] == list(CATEGORIES)
    scores = {c.category: c.score for c in readiness.categories}
    assert scores == {
        "deployment": 50.0,
        "rollback": 100.0,
        "incident": 0.0,
        "troubleshooting": 0.0,
        "capacity": 0.0,
        "maintenance": 0.0,
    }
    assert readiness.overall == 25.0
    assert readiness.at == "2026-11-27T12:00:00Z"
    incident = readiness.category("incident")
    assert incident is not None and incident.runbooks == ()


def test_the_minimum_is_met_at_or_above_it_only() -> None:
    """meets_minimum compares the overall score (rounded to one decimal) with the minimum."""
    runs = (run("2026-11-26T12:00:00Z", ("rollback", "passed")),)
    assert readiness_score(runs, (ROLLBACK,), NOW).overall == pytest.approx(16.7)
    assert readiness_score(runs, (ROLLBACK,), NOW, min_score=16.7).meets_minimum
    assert not readiness_score(runs, (ROLLBACK,), NOW, min_score=16.8).meets_minimum
    assert readiness_score(runs, (ROLLBACK,), NOW).meets_minimum  # no minimum asked for
