"""Review drafts: the postmortem shape filled from a drill's result; what went wrong and the action items follow
from the measurements (a missed target becomes an item), and people's sections are marked."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from opsready.adherence import Adherence, Confirmation, PlannedItem
from opsready.incident.actions import read_review
from opsready.incident.classification import load_classification
from opsready.incident.drill import DrillPlan, DrillResult
from opsready.incident.escalation import load_escalation
from opsready.incident.impact import Impact
from opsready.incident.mitigation import ActionOutcome, parse_mitigation
from opsready.incident.monitor import Detection, Recovery
from opsready.incident.paging import simulate
from opsready.incident.review import render_review, write_review
from opsready.incident.triage import classify
from opsready.timeline import Measurement, Timeline
from tests.unit.incident.incident_helpers import obs

NOW = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)


def result(root: Path, declared: str = "critical", detect_target: float = 60.0) -> DrillResult:
    classification = load_classification(root / "runbooks" / "incident-classification.yaml")
    escalation = load_escalation(root / "runbooks" / "escalation.yaml")
    mitigation = parse_mitigation("## Automated mitigation\n\n```yaml\n- restart: api\n```\n", "service-down.md")
    timeline = Timeline("drill")
    for kind in ("inject_started", "injected", "detected", "classified", "acknowledged", "mitigated", "recovered"):
        timeline.mark(kind, f"{kind} detail | with a pipe")
    healthy = classify(classification, [obs("readiness", True, 200, at=timeline.t0 + 10.0)], timeline.t0 + 9.5)
    down = classify(classification, [obs("readiness", False, None), obs("error_rate", True, 30.0, "%")])
    severity = classification.severity("critical")
    measurements = (
        Measurement("time to detect", "injected", "detected", 2.0, detect_target),
        Measurement("time to acknowledge", "detected", "acknowledged", 0.5, severity.response_time),
        Measurement("time to mitigate", "detected", "mitigated", 6.0, severity.targets.mitigate_within),
        Measurement("time to recover", "injected", "recovered", 12.0, severity.targets.recover_within),
    )
    return DrillResult(
        plan=DrillPlan(
            "incident-service-down",
            "Service down",
            "runbooks/incidents/service-down.md",
            "platform-operations",
            declared,
            "api-paused",
            "process-pause service=api",
            mitigation,
        ),
        target="sandbox",
        baseline=healthy,
        detection=Detection((down,), (), 1),
        severity=severity,
        responder="automatic responder (CI)",
        responder_source="auto",
        mitigation=(ActionOutcome(mitigation.actions[0], "killed hung 'api' and started it again", 1.5),),
        recovery=Recovery((healthy, healthy, healthy), 3),
        pages=simulate(escalation, "critical", 0, NOW),
        what_if=simulate(escalation, "critical", 1200, NOW),
        notices=(),
        measurements=measurements,
        impact=Impact(300, 40, 0, 0.3, timeline.t0 + 1.0, timeline.t0 + 9.0),
        timeline=timeline.record(),
        t0=timeline.t0,
    )


def test_a_good_drill_reads_as_a_postmortem_draft(root: Path, tmp_path: Path) -> None:
    """Every section, the measured table, the evidence, the paging, and one review action for the runbook owner."""
    drill = result(root)
    text = render_review(drill, NOW)
    for title in ("Summary", "Impact", "Timeline", "Root cause", "What went well", "What went wrong", "Action items"):
        assert f"\n## {title}\n" in text
    assert "| time to detect | 2.0 s | 1 min 0 s | met |" in text
    assert "- Alerting: alerting not measured: no monitoring given to the drill" in text  # never shown as met
    assert "time to alert" not in text
    assert "critical: readiness failing" in text and "Also matched:" in text and "high: error_rate above 5%" in text
    assert "40 of 300 requests failed" in text and "User impact lasted 8.0 s" in text
    assert "detail / with a pipe" in text  # table cells never break the table
    assert "Nothing the drill measured went wrong." in text
    assert text.count("step 1: ") == 2 and "+15 min 0 s" in text
    path = write_review(drill, tmp_path, NOW)
    assert path.name == "review-incident-service-down-20261127T040000000000Z.md"
    review = read_review(path)
    assert [(i.owner, str(i.due)) for i in review.items] == [("platform-operations", "2026-12-04")]
    assert review.to_complete == 6


def test_missed_targets_and_a_wrong_severity_become_action_items(root: Path) -> None:
    """What went wrong lists them, and each gets an item for the runbook's owner."""
    drill = result(root, declared="high", detect_target=1.0)
    text = render_review(drill, NOW)
    wrong = text.split("## What went wrong")[1].split("## Action items")[0]
    assert "time to detect: 2.0 s (target 1.0 s) MISSED" in wrong
    assert "Classified critical, but the runbook declares high" in wrong
    actions = text.split("## Action items")[1]
    assert "Find out why the time to detect missed its target" in actions
    assert "Reconcile the classification criteria with runbook `incident-service-down`" in actions
    assert "| time to detect | 2.0 s | 1.0 s | MISSED |" in text


def test_skipped_and_deviated_steps_become_proposed_runbook_updates_at_their_line(root: Path, tmp_path: Path) -> None:
    """With a game day's adherence, each skipped or deviated step is an action item naming its file and line, who
    confirmed it and the note; done steps are not listed; without adherence the section is absent."""
    drill = result(root)
    steps = [
        PlannedItem("step", "incident-service-down", "runbooks/incidents/service-down.md", 40 + n, n, f"step text {n}")
        for n in (1, 2, 3)
    ]
    adherence = Adherence(
        tuple(steps),
        (
            Confirmation(steps[0], "done", "", "responder", "Casey", "2026-11-27T04:00:10Z"),
            Confirmation(steps[1], "deviated", "restarted by hand", "responder", "Casey", "2026-11-27T04:00:20Z"),
            Confirmation(steps[2], "skipped", "", "responder", "Casey", "2026-11-27T04:00:30Z"),
        ),
    )
    title = "## Runbook steps skipped or deviated from (proposed updates)"
    assert title not in render_review(drill, NOW)
    path = write_review(drill, tmp_path, NOW, adherence=adherence)
    section = path.read_text().split(title)[1].split("## Action items")[0]
    assert "1 of 3 planned steps and checkpoints were confirmed done; 0 were not confirmed." in section
    assert (
        "`runbooks/incidents/service-down.md:42` (deviated by Casey, responder, 2026-11-27T04:00:20Z: restarted"
        in section
    )
    assert "step 3 of incident-service-down at `runbooks/incidents/service-down.md:43` (skipped" in section
    assert "service-down.md:41" not in section
    items = read_review(path).items
    assert len(items) == 3 and {(i.owner, str(i.due)) for i in items} == {("platform-operations", "2026-12-04")}
