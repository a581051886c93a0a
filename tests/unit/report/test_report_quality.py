"""The runbook quality metrics: each formula over small hand-made inputs, and "no data" whenever evidence is absent."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from opsready.adherence import Adherence, Confirmation, PlannedItem
from opsready.report.history import PastMeasurement, PastRun, PastScenario, from_json, to_json
from opsready.report.quality import quality_dict, quality_lines, quality_report
from opsready.report.quality_model import (
    NO_DATA,
    ActionItemFacts,
    Change,
    CoverageItem,
    QualityInputs,
    Review,
    RunbookFacts,
    StepText,
)
from opsready.report.quality_procedures import (
    accuracy,
    commands,
    completeness,
    currency,
    has_outcome,
    usability,
    words,
)
from opsready.report.quality_response import adherence, improvement, mttr, training
from opsready.results import StepRef

TODAY = date(2026, 12, 2)
STEP_1 = StepText(1, 10, "1. Roll back: `opsready rollback --reason x`.\n   Expected outcome: the release is back.")
STEP_2 = StepText(2, 12, "2. Announce it to the `status` channel.\n   ```\n   opsready check post-deploy\n   ```")
ROLLBACK = RunbookFacts("rollback", "Roll back", "runbooks/rollback.md", date(2026, 11, 1), 90.0, (STEP_1, STEP_2))
OLD = RunbookFacts("deploy", "Deploy", "runbooks/deploy.md", date(2026, 1, 1), 90.0, (STEP_1,))


def scenario(
    outcome: str = "passed",
    steps: tuple[StepRef, ...] = (),
    measured: tuple[tuple[str, float], ...] = (),
    adherence: Adherence | None = None,
) -> PastScenario:
    measurements = tuple(PastMeasurement(name, seconds, None, True) for name, seconds in measured)
    return PastScenario("s", "f", outcome, ("rollback",), steps, "s", measurements, adherence)  # type: ignore[arg-type]


def confirmed(*statuses: str, planned: int = 0) -> Adherence:
    """Runbook steps 1..n of 'rollback' confirmed with these statuses; ``planned`` steps in all (at least n)."""
    items = tuple(
        PlannedItem("step", "rollback", "runbooks/rollback.md", 10 + n, n, f"step {n}")
        for n in range(1, max(planned, len(statuses)) + 1)
    )
    return Adherence(
        items,
        tuple(
            Confirmation(item, status, "", "responder", "al", "2026-11-01T00:00:00Z")  # type: ignore[arg-type]
            for item, status in zip(items, statuses, strict=False)
        ),
    )


def run(finished: str, *scenarios: PastScenario, kind: str = "drill", responder: str = "") -> PastRun:
    return PastRun("r", kind, finished, finished, "ready", "sandbox", "", scenarios, responder=responder)  # type: ignore[arg-type]


def inputs(**changes: object) -> QualityInputs:
    base = QualityInputs(TODAY, (ROLLBACK,), (), frozenset(), ())
    return replace(base, **changes)  # type: ignore[arg-type]


def test_step_counting_formulas() -> None:
    """Commands: code spans and fenced lines that start with a program and an argument; words outside fences."""
    assert commands(STEP_1) == 1
    assert commands(STEP_2) == 1  # `status` is a single word, not a command; the fenced line is one
    assert words(StepText(1, 1, "1. Check `opsready status` now.\n```\nignored words here\n```")) == 5
    assert has_outcome(STEP_1)
    assert not has_outcome(STEP_2)


def test_completeness_counts_covered_and_drilled_items() -> None:
    """An item counts covered when a runbook it names exists, drilled when such a runbook is tagged by a scenario."""
    items = (
        CoverageItem("a", "scenario", "A", ("rollback",), "c.yaml:3"),
        CoverageItem("b", "scenario", "B", ("missing",), "c.yaml:6"),
        CoverageItem("c", "incident class", "C", (), "c.yaml:9"),
        CoverageItem("d", "incident class", "D", ("deploy",), "c.yaml:12"),
    )
    metric = completeness(inputs(runbooks=(ROLLBACK, OLD), coverage=items, drilled=frozenset({"rollback"})))
    assert metric.number == 0.5
    assert metric.value == "covered 2 of 4 (50.0 %); drilled 1 of 4 (25.0 %)"
    assert "not covered: scenario 'b' (B) at c.yaml:6" in metric.details
    assert "covered, never drilled: incident class 'd' at c.yaml:12" in metric.details


def test_completeness_without_a_list_has_no_data() -> None:
    metric = completeness(inputs())
    assert metric.value == NO_DATA and metric.number is None and "coverage.yaml" in metric.evidence


def test_accuracy_counts_steps_verified_by_passing_scenarios_in_the_window() -> None:
    """Step 1 passed 10 days ago; step 2 only failed, or passed 100 days ago (outside 90 days): 1 of 2 verified."""
    runs = (
        run("2026-11-22T10:00:00Z", scenario("passed", (StepRef("rollback", 1),))),
        run("2026-11-23T10:00:00Z", scenario("failed", (StepRef("rollback", 2),))),
        run("2026-08-24T10:00:00Z", scenario("passed", (StepRef("rollback", 2),))),
    )
    metric = accuracy(inputs(runs=runs))
    assert metric.number == 0.5
    assert metric.details == ("rollback: 1 of 2 steps verified",)
    assert accuracy(inputs(runs=runs, accuracy_days=120)).number == 1.0
    assert "not checked against the CLI" in metric.evidence
    assert "3 of 4 runbook commands pass the CLI check" in accuracy(inputs(runs=runs, commands=(3, 4))).evidence


def test_accuracy_without_recent_runs_or_steps_has_no_data() -> None:
    old = (run("2025-01-01T00:00:00Z", scenario("passed", (StepRef("rollback", 1),))),)
    assert accuracy(inputs(runs=old)).value == NO_DATA
    assert accuracy(inputs(runbooks=(replace(ROLLBACK, steps=()),), runs=old)).value == NO_DATA


def test_usability_counts_per_runbook_and_lists_steps_without_outcome() -> None:
    metric = usability(inputs())
    assert metric.number == 0.5
    assert metric.details[0].startswith("rollback: 2 steps, ")
    assert "2 commands, 1 step(s) without an expected outcome" in metric.details[0]
    assert "no expected outcome: runbooks/rollback.md:12 (rollback step 2)" in metric.details
    assert usability(inputs(runbooks=())).value == NO_DATA


def test_currency_lists_overdue_runbooks_and_the_trend() -> None:
    """deploy was due 2026-04-01 (overdue); rollback is due 2026-01-30, so in 60 days it is no longer current."""
    metric = currency(inputs(runbooks=(ROLLBACK, OLD)))
    assert metric.value == "1 of 2 (50.0 %)"
    assert metric.details[0] == "overdue by 245 day(s): deploy (last reviewed 2026-01-01)"
    assert metric.details[-2] == "trend without further reviews: in 30 days 1 of 2 (50.0 %), in 60 days 0 of 2 (0.0 %)"
    assert metric.details[-1].startswith("trend so far: no history")
    assert currency(inputs(runbooks=())).value == NO_DATA


def test_currency_trend_so_far_uses_the_review_date_each_runbook_had_then() -> None:
    """90 days ago (2026-09-03) only deploy existed, reviewed 2026-01-01 + 90 days: overdue. 30 days ago
    (2026-11-02) deploy was still overdue and rollback, reviewed 2026-10-01, current; then deploy was reviewed."""
    reviews = (
        Review(date(2026, 1, 2), "runbooks/deploy.md", date(2026, 1, 1)),
        Review(date(2026, 10, 1), "runbooks/rollback.md", date(2026, 10, 1)),
        Review(date(2026, 11, 20), "runbooks/deploy.md", date(2026, 11, 20)),
    )
    metric = currency(inputs(runbooks=(ROLLBACK, OLD), reviews=reviews))
    assert metric.details[-1] == (
        "trend so far (from git): 90 days ago 0 of 1 (0.0 %), 60 days ago 1 of 2 (50.0 %), 30 days ago 1 of 2 (50.0 %)"
    )


def test_mttr_is_the_mean_of_recoveries_by_kind() -> None:
    runs = (
        run("2026-11-01T00:00:00Z", scenario(measured=(("time to recover", 10.0),))),
        run("2026-11-02T00:00:00Z", scenario(measured=(("time to recover", 30.0),)), kind="gameday"),
        run("2026-11-03T00:00:00Z", scenario(measured=(("time to detect", 99.0),))),
    )
    metric = mttr(inputs(runs=runs))
    assert metric.number == 20.0
    assert any(d.startswith("gameday: ") and "over 1 " in d for d in metric.details)
    assert mttr(inputs(runs=runs[2:])).value == NO_DATA


def test_adherence_counts_done_over_planned_steps() -> None:
    """A step nobody confirmed counts as planned and not followed."""
    record = confirmed("done", "skipped", "done", "deviated", planned=5)
    metric = adherence(inputs(runs=(run("2026-11-01T00:00:00Z", scenario(adherence=record), kind="gameday"),)))
    assert metric.number == 0.4
    assert metric.details == ("rollback: 2 done, 1 skipped, 1 deviated of 5 planned",)


def test_adherence_says_none_was_recorded() -> None:
    assert adherence(inputs()).evidence == "no game day in the history"
    plain = (run("2026-11-01T00:00:00Z", scenario(), kind="gameday"),)
    assert adherence(inputs(runs=plain)).evidence == "no adherence recorded in 1 game day(s)"


def test_training_follows_each_responder_across_game_days() -> None:
    runs = (
        run(
            "2026-10-01T00:00:00Z", scenario(measured=(("time to acknowledge", 120.0),)), kind="gameday", responder="al"
        ),
        run(
            "2026-11-01T00:00:00Z", scenario(measured=(("time to acknowledge", 60.0),)), kind="gameday", responder="al"
        ),
        run("2026-11-01T00:00:00Z", scenario(measured=(("time to mitigate", 90.0),)), kind="gameday", responder="bo"),
    )
    metric = training(inputs(runs=runs))
    assert metric.name == "Training effectiveness"
    assert metric.value == "2 responder(s); 1 acknowledge faster than at their first game day"
    assert metric.details == (
        "al: acknowledge 2 min 0 s → 1 min 0 s (2 game day(s)); mitigate not measured",
        "bo: acknowledge not measured; mitigate 1 min 30 s (1 game day(s))",
    )


def test_training_without_game_days_or_responders_has_no_data() -> None:
    assert training(inputs()).value == NO_DATA
    anonymous = (run("2026-11-01T00:00:00Z", scenario(), kind="gameday"),)
    assert training(inputs(runs=anonymous)).evidence == "no responder recorded in 1 game day(s)"


def test_improvement_counts_recent_changes_and_action_items() -> None:
    changes = (Change(date(2026, 1, 5), 2), Change(date(2026, 11, 5), 1), Change(date(2026, 11, 20), 3))
    actions = (
        ActionItemFacts("r.md:3", True, None),
        ActionItemFacts("r.md:4", False, date(2026, 11, 1)),
        ActionItemFacts("r.md:5", False, None),
    )
    metric = improvement(inputs(changes=changes, actions=actions))
    assert metric.number == 2.0
    assert metric.details[0] == "action items: 3 opened, 1 closed, 1 overdue"
    assert "2026-11: 2 commit(s)" in metric.details


def test_improvement_without_history_says_why_and_invents_nothing() -> None:
    metric = improvement(inputs(changes_reason="no history: a shallow clone"))
    assert metric.value == NO_DATA and metric.number is None
    assert metric.evidence == "runbook changes: no history: a shallow clone"
    assert metric.details == ("action items: no data (no review drafts)",)


def test_the_report_holds_eight_metrics_as_text_and_json() -> None:
    report = quality_report(inputs())
    assert [m.key for m in report.metrics] == [
        "completeness", "accuracy", "usability", "currency", "mttr", "adherence", "training", "improvement",
    ]  # fmt: skip
    data = quality_dict(report)
    assert data["metrics"][0]["has_data"] is False and data["metrics"][0]["number"] is None
    assert "Usability: 2.0 steps" in "\n".join(quality_lines(report))


def test_history_keeps_the_responder_and_the_adherence_record() -> None:
    """Older lines have neither; a game day's adherence record survives a round trip."""
    record = confirmed("done", "skipped", planned=3)
    back = from_json(to_json(run("2026-11-01T00:00:00Z", scenario(adherence=record), kind="gameday", responder="al")))
    assert back.responder == "al"
    assert back.scenarios[0].adherence == record
    assert from_json(to_json(back)) == back
    line = to_json(run("2026-11-01T00:00:00Z", scenario()))
    assert "adherence" not in line["scenarios"][0]
    assert from_json(line).responder == ""
