"""Steps of the incident response drills (runbooks/incidents/*.md, features/incident_response.feature).

A drill injects the fault of the experiment its runbook names, through the chaos package's guard (journaled,
watched by a dead-man watchdog, reverted on every outcome), and runs the incident package's stages against the
scenario's timeline: detect, classify, acknowledge, mitigate, recover. The Then steps assert what was measured.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from pytest_bdd import given, parsers, then, when

from opsready.bdd.common import Drill
from opsready.config import Config
from opsready.drills.faults import DrillFaults
from opsready.drills.incident import Rehearsal, Rehearsed, rehearse
from opsready.drills.plan import incident_runbooks, plan_drill
from opsready.durations import format_duration
from opsready.errors import OpsreadyError
from opsready.incident.drill import DrillResult
from opsready.incident.files import Checked, IncidentFiles, check_all
from opsready.targets.protocol import Target
from opsready.timeline import Timeline
from opsready.traffic import Traffic

WEBHOOK_ENV = "OPSREADY_INCIDENT_WEBHOOK"  # a Slack-compatible webhook URL; notices are only posted when it is set


@dataclass
class IncidentState:
    """What the steps of one incident scenario hand to each other (per test)."""

    rehearsal: Rehearsal | None = None
    rehearsed: Rehearsed | None = None

    @property
    def prepared(self) -> Rehearsal:
        """The rehearsal the scenario prepared."""
        assert self.rehearsal is not None, "no incident drill was prepared in this scenario"
        return self.rehearsal

    @property
    def result(self) -> DrillResult:
        """What the finished drill measured."""
        assert self.rehearsed is not None, "the incident drill did not run to its end"
        return self.rehearsed.result


@pytest.fixture
def incident_state() -> IncidentState:
    """The scenario's incident drill, as the steps build it."""
    return IncidentState()


@pytest.fixture(scope="session")
def incident_inputs(opsready_config: Config) -> Checked:
    """Classification, escalation, templates and incident runbooks, validated once (a problem fails every drill)."""
    checked, problems = check_all(IncidentFiles.of(opsready_config), datetime.now(tz=UTC))
    if checked is None:
        pytest.fail("\n".join(p.render() for p in problems), pytrace=False)
    return checked


@pytest.fixture
def incident_faults(
    opsready_config: Config, target: Target, timeline: Timeline, pytestconfig: pytest.Config
) -> Iterator[DrillFaults]:
    """The faults a drill injects; every fault left is reverted when the scenario ends."""
    from opsready.bdd.common import entry_point
    from opsready.safety import check_destructive

    allowed = bool(pytestconfig.getoption("opsready_allow_destructive"))
    check_destructive(opsready_config, target, allowed, entry=entry_point(pytestconfig))
    faults = DrillFaults(opsready_config, target, timeline, "incident drill")
    try:
        yield faults
    finally:
        faults.close()


def webhook_url(pytestconfig: pytest.Config) -> str | None:
    """Where notices are posted: ``--incident-webhook``, else $OPSREADY_INCIDENT_WEBHOOK, else nowhere."""
    return pytestconfig.getoption("opsready_incident_webhook") or os.environ.get(WEBHOOK_ENV) or None


@given("users use the service in the background")
def users_in_background(drill: Drill, background_traffic: Callable[..., Traffic]) -> None:
    """Two users keep following the profile's journeys (20 requests/s in all, bounded at 3 minutes), so there is
    something to measure without queueing every request behind the fault."""
    drill.traffic = background_traffic(clients=2, rate=20.0, max_seconds=180.0)


@given(parsers.parse('the incident drill of runbook "{runbook_id}" is prepared'))
@given(parsers.parse('the incident drill of runbook "{runbook_id}" is prepared with experiment "{experiment}"'))
def drill_prepared(  # noqa: PLR0917  # pytest resolves fixtures from positional parameters only
    drill: Drill,
    incident_state: IncidentState,
    incident_faults: DrillFaults,
    opsready_config: Config,
    target: Target,
    timeline: Timeline,
    incident_inputs: Checked,
    pytestconfig: pytest.Config,
    runbook_id: str,
    experiment: str = "",
) -> None:
    """Read the runbook, its experiment (the first it names, unless one is given) and its mitigation; check the
    templates; the target must be in steady state."""
    from opsready.incident.responder import AutomaticResponder

    files = IncidentFiles.of(opsready_config)
    runbooks = incident_runbooks(files)
    assert runbook_id in runbooks, f"no incident runbook '{runbook_id}' in {files.runbooks} (have: {sorted(runbooks)})"
    try:
        planned = plan_drill(opsready_config.root, runbooks[runbook_id], target, experiment=experiment)
    except OpsreadyError as exc:
        pytest.fail(exc.render(), pytrace=False)
    rehearsal = rehearse(
        planned,
        incident_inputs,
        files,
        target,
        timeline,
        faults=incident_faults,
        responder=AutomaticResponder(),
        traffic=drill.traffic,
        webhook=webhook_url(pytestconfig),
    )
    rehearsal.drill.prepare()
    incident_state.rehearsal = rehearsal


@when("the fault of the runbook's experiment is injected")
def fault_injected(incident_state: IncidentState) -> None:
    """Through the chaos guard: journaled first, reverted whatever happens."""
    incident_state.prepared.inject()


@when("the monitor detects the incident")
def monitor_detects(incident_state: IncidentState) -> None:
    """Rounds of probes about once a second until a classification criterion holds."""
    incident_state.prepared.drill.detect()


@when("the incident is classified")
def incident_classified(incident_state: IncidentState) -> None:
    """The worst severity seen while detecting and assessing."""
    incident_state.prepared.drill.classify()


@when("the responder acknowledges the page")
def responder_acknowledges(incident_state: IncidentState) -> None:
    """Pages go out as the escalation says; the (automatic) responder acknowledges; the initial notice is sent."""
    incident_state.prepared.drill.acknowledge()


@when("the runbook's automated mitigation runs")
def mitigation_runs(incident_state: IncidentState) -> None:
    """The actions of the runbook's '## Automated mitigation' block, through the Target."""
    incident_state.prepared.drill.mitigate()


@when("the monitor sees the target recover")
def target_recovers(incident_state: IncidentState) -> None:
    """Rounds until no criterion holds several times in a row; then the review draft is written."""
    rehearsal = incident_state.prepared
    rehearsal.drill.recover()
    incident_state.rehearsed = rehearsal.finish()


@then(parsers.parse('the incident was classified "{severity}", as the runbook declares, because of "{criterion}"'))
def classified_as(incident_state: IncidentState, severity: str, criterion: str) -> None:
    """The classified severity is the scenario's and the runbook's, and the expected criterion decided it."""
    result = incident_state.result
    matched = "; ".join(e.describe() for e in result.detection.verdict.matched)
    assert result.plan.severity == severity, f"runbook {result.plan.incident} declares {result.plan.severity}"
    assert result.severity.name == severity, f"classified {result.severity.name}, expected {severity}: {matched}"
    deciding = [e.criterion.name for e in result.detection.verdict.deciding]
    assert criterion in deciding, f"decided by {deciding}, expected {criterion}"
    assert not result.baseline.incident, "the target was not in steady state before the fault"


@then("the times to detect, acknowledge, mitigate and recover were within the severity's targets")
def times_within(incident_state: IncidentState, timeline: Timeline) -> None:
    """Each duration derived from the timeline met the target of the classified severity."""
    result = incident_state.result
    severity = result.severity
    expected = {
        "time to detect": severity.targets.detect_within,
        "time to acknowledge": severity.response_time,
        "time to mitigate": severity.targets.mitigate_within,
        "time to recover": severity.targets.recover_within,
    }
    found = {m.name: m for m in timeline.measurements}
    for name, target in expected.items():
        assert name in found, f"no measurement '{name}' (have: {', '.join(found) or 'none'})"
        assert found[name].target == target, f"{name}: target {found[name].target}, severity says {target}"
        assert found[name].ok, found[name].describe()
    # with monitoring the drill also measured the team's alerting (an alert that never fired failed it already)
    for name in ("time to alert", "time to page"):
        if name in found:
            assert found[name].ok, found[name].describe()


@then("the acknowledgement was recorded as automatic")
def ack_automatic(timeline: Timeline) -> None:
    """CI drills must never pass for a person's response time."""
    ack = timeline.first("acknowledged")
    assert ack is not None, timeline.kinds()
    assert ack.source == "auto" and "automatic" in ack.detail, ack


@then(parsers.parse('users saw "{impact}", which began after the fault and ended before the recovery'))
def user_impact(drill: Drill, incident_state: IncidentState, timeline: Timeline, impact: str) -> None:
    """From the background traffic: what kind of impact, that it lies between the injection and the recovery, and
    that no request failed after the recovery."""
    from opsready.incident.impact import measure_impact

    result = incident_state.result
    report = drill.stop_traffic()
    assert report.total > 20, f"too little traffic to judge: {report.describe()}"
    started, recovered = timeline.first("inject_started"), timeline.first("recovered")
    assert started is not None and recovered is not None, timeline.kinds()
    begin, end = timeline.t0 + started.at, timeline.t0 + recovered.at
    slow = result.impact.slow_after if result.impact else 0.3
    seen = measure_impact(report, slow, begin, end)
    assert seen.kind == impact, f"users saw {seen.kind}: {seen.describe(timeline.t0)} ({report.describe()})"
    late = [s for s in report.samples if s.failed and s.at > end]
    assert not late, f"{len(late)} request(s) failed after the recovery, e.g. at +{late[0].at - timeline.t0:.2f} s"
    if seen.began is None or seen.ended is None:
        return
    timeline.mark("impact_started", seen.describe(timeline.t0), at=seen.began)
    timeline.mark("impact_ended", "the last impacted request started", at=seen.ended)
    began, ended = seen.began - timeline.t0, seen.ended - timeline.t0
    assert began >= started.at, f"users felt impact at +{began:.2f} s, before the fault at +{started.at:.2f} s"
    assert ended <= recovered.at, (
        f"an impacted request started at +{ended:.2f} s, after the recovery at +{recovered.at:.2f} s"
    )


def _notice(result: DrillResult, kind: str) -> str:
    found = [n for n in result.notices if n.kind == kind]
    assert len(found) == 1, f"expected one {kind} notice, got {len(found)}"
    text = found[0].path.read_text(encoding="utf-8")
    assert text == found[0].text, f"{found[0].path} differs from what was sent"
    return text


def _shown(timeline: Timeline, kind: str) -> str:
    event = timeline.first(kind)
    assert event is not None, timeline.kinds()
    return datetime.fromisoformat(event.wall.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M:%S UTC")


@then("the notices carry the measured timeline")
def notices_measured(incident_state: IncidentState, timeline: Timeline) -> None:
    """Initial, update and resolution notices were rendered with the values the timeline holds."""
    result = incident_state.result
    initial, update, resolution = (_notice(result, k) for k in ("initial", "update", "resolution"))
    severity = result.severity
    assert initial.startswith(f"[DRILL] [INCIDENT {severity.name.upper()}]"), initial.splitlines()[0]
    assert f"detected: {_shown(timeline, 'detected')}" in initial
    for evidence in result.detection.verdict.deciding:
        assert evidence.criterion.condition() in initial
    assert result.responder in initial and result.plan.incident in initial
    for outcome in result.mitigation:
        assert outcome.detail in update, f"{outcome.detail!r} not in the update"
    mitigate = result.measurement("time to mitigate")
    recover = result.measurement("time to recover")
    assert mitigate is not None and recover is not None
    assert f"mitigated {format_duration(mitigate.seconds)} after detection" in update
    assert f"to recover {format_duration(recover.seconds)}" in resolution
    assert f"recovered {_shown(timeline, 'recovered')}" in resolution
    assert "n/a" not in resolution, resolution


@then("the review draft records the drill")
def review_records(incident_state: IncidentState) -> None:
    """The postmortem draft holds the measurements, evidence, paging and timeline, marks what people must add, and
    its action items are listed with their owner."""
    from opsready.incident.actions import read_review

    result = incident_state.result
    assert incident_state.rehearsed is not None
    path = incident_state.rehearsed.review
    assert path.is_file(), path
    text = path.read_text(encoding="utf-8")
    for title in ("Summary", "Impact", "Timeline", "Root cause", "What went well", "What went wrong", "Action items"):
        assert f"\n## {title}\n" in text, f"no '{title}' section in {path}"
    for m in result.measurements:
        assert f"| {m.name} | {format_duration(m.seconds)} |" in text, f"{m.name} missing from {path}"
    for evidence in result.detection.verdict.deciding:
        assert evidence.describe() in text
    for page in (*result.pages, *result.what_if):
        assert page.describe() in text
    for event in result.timeline.events:
        assert f"| +{event.at:.2f} s | {event.wall} | {event.kind} |" in text
    review = read_review(path)
    assert review.to_complete >= 5, f"only {review.to_complete} sections marked for people"
    assert review.items and all(i.owner == result.plan.owner and i.due and not i.done for i in review.items)


@then("every fault was reverted and nothing is left on the target")
def faults_reverted(incident_faults: DrillFaults, target: Target) -> None:
    """The guard's revert is verified, and an independent sweep finds no residue of any fault."""
    from opsready.targets.faults import faults_of

    incident_faults.close()
    records = incident_faults.records
    assert records, "no fault was injected: the drill proves nothing"
    for record in records:
        assert record.reverted_by and not record.error, f"{record.name}: {record.error or 'not reverted'}"
    left = [o.describe() for o in faults_of(target).fault_residue() if not o.ok]
    assert not left, "; ".join(left)
