"""One incident drill, stage by stage: prepare, inject, detect, classify, acknowledge, mitigate, recover, finish.

The fault is injected by a callable the caller hands in (the steps wire in the chaos package's guard), so this
module needs nothing but the Target, the Timeline and the probes. Every stage marks the timeline; the durations are
derived from it and held against the classified severity's targets. The stages can be run one by one (Gherkin
steps, a game day with people in the loop) or all at once with :meth:`Drill.run`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from opsready.durations import format_duration
from opsready.errors import TargetError, UsageError
from opsready.incident.alerting import DrillAlerting
from opsready.incident.classification import Classification, Severity
from opsready.incident.comms import Communicator, SentNotice
from opsready.incident.escalation import Escalation
from opsready.incident.impact import Impact, measure_impact
from opsready.incident.mitigation import ActionOutcome, MitigationPlan, run_mitigation
from opsready.incident.monitor import Detection, Monitor, Recovery
from opsready.incident.paging import Page, simulate
from opsready.incident.responder import Responder
from opsready.incident.triage import Verdict
from opsready.severity import SeverityName
from opsready.targets.protocol import Target
from opsready.timeline import Measurement, Timeline, TimelineRecord
from opsready.traffic import Traffic

Say = Callable[[str], None]
WHAT_IF = 20 * 60.0  # the escalation path shown as if nobody acknowledged for this long


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class DrillPlan:
    """What one drill rehearses: the runbook, its declared severity, the fault and the mitigation."""

    incident: str  # the runbook id
    title: str
    runbook: str  # its path
    owner: str
    severity: SeverityName | None  # the severity the runbook declares, if it does
    experiment: str
    fault: str  # what is injected, described
    mitigation: MitigationPlan


@dataclass(frozen=True)
class DrillResult:
    """Everything one drill measured (reviews and reports read this, never the target)."""

    plan: DrillPlan
    target: str
    baseline: Verdict
    detection: Detection
    severity: Severity
    responder: str
    responder_source: str
    mitigation: tuple[ActionOutcome, ...]
    recovery: Recovery
    pages: tuple[Page, ...]
    what_if: tuple[Page, ...]
    notices: tuple[SentNotice, ...]
    measurements: tuple[Measurement, ...]
    impact: Impact | None
    timeline: TimelineRecord
    t0: float
    alerting: str = "alerting not measured: no monitoring given to the drill"

    def measurement(self, name: str) -> Measurement | None:
        """A measurement by name."""
        return next((m for m in self.measurements if m.name == name), None)


@dataclass
class _State:
    baseline: Verdict | None = None
    detection: Detection | None = None
    severity: Severity | None = None
    responder: str = ""
    pages: tuple[Page, ...] = ()
    mitigation: tuple[ActionOutcome, ...] = ()
    recovery: Recovery | None = None
    notices: list[SentNotice] = field(default_factory=list)


class Drill:
    """One drill of one incident type against one target."""

    def __init__(
        self,
        plan: DrillPlan,
        classification: Classification,
        escalation: Escalation,
        target: Target,
        timeline: Timeline,
        *,
        responder: Responder,
        communicator: Communicator,
        traffic: Traffic | None = None,
        slow_after: float = 0.3,
        say: Say = _quiet,
        alerting: DrillAlerting | None = None,
    ) -> None:
        self.plan = plan
        self.classification = classification
        self.escalation = escalation
        self.target = target
        self.timeline = timeline
        self.responder = responder
        self.comms = communicator
        self.traffic = traffic
        self.slow_after = slow_after
        self.say = say
        self.monitor = Monitor(target, classification, say)
        self.state = _State()
        self.alerting = alerting

    # -- helpers -----------------------------------------------------------------------------------------------
    def _wall(self, kind: str) -> datetime | None:
        event = self.timeline.first(kind)
        if event is None:
            return None
        return datetime.fromisoformat(event.wall.replace("Z", "+00:00"))

    def _shown(self, kind: str) -> str:
        wall = self._wall(kind)
        return wall.strftime("%Y-%m-%d %H:%M:%S UTC") if wall else "n/a"

    def _since(self, start: str, end: str) -> str:
        seconds = self.timeline.between(start, end)
        return format_duration(seconds) if seconds is not None else "n/a"

    def impact(self) -> Impact | None:
        """What users felt so far (None without background traffic)."""
        started = self.timeline.first("inject_started")
        if self.traffic is None or started is None:
            return None
        recovered = self.timeline.first("recovered")
        end = self.timeline.t0 + recovered.at if recovered is not None else time.monotonic()
        return measure_impact(self.traffic.snapshot(), self.slow_after, self.timeline.t0 + started.at, end)

    def _severity(self) -> Severity:
        if self.state.severity is None:
            raise UsageError("the incident has not been classified yet")
        return self.state.severity

    def values(self, status: str) -> dict[str, str]:
        """The placeholders of a notice, from what the timeline holds now."""
        severity = self._severity()
        impact = self.impact()
        deciding = self.state.detection.verdict.deciding if self.state.detection else ()
        outcomes = self.state.mitigation
        return {
            "drill": "DRILL",
            "incident": self.plan.incident,
            "title": self.plan.title,
            "service": "orders service",
            "target": self.target.name,
            "severity": severity.name,
            "severity_description": severity.description,
            "response_time": format_duration(severity.response_time),
            "escalation": severity.describe_escalation(),
            "status": status,
            "started": self._shown("injected"),
            "detected": self._shown("detected"),
            "evidence": "; ".join(e.describe() for e in deciding) or "n/a",
            "runbook": self.plan.runbook,
            "responder": self.state.responder or "n/a",
            "acknowledged": self._shown("acknowledged"),
            "actions": "; ".join(f"{o.action.describe()}: {o.detail}" for o in outcomes) or "n/a",
            "mitigated": self._shown("mitigated"),
            "recovered": self._shown("recovered"),
            "time_to_detect": self._since("injected", "detected"),
            "time_to_acknowledge": self._since("detected", "acknowledged"),
            "time_to_mitigate": self._since("detected", "mitigated"),
            "time_to_recover": self._since("injected", "recovered"),
            "user_impact": impact.describe(self.timeline.t0) if impact else "not measured (no background traffic)",
            "paged": ", ".join(f"{p.name} ({p.recipient}, {p.via})" for p in self.state.pages) or "nobody",
            "next_update": f"within {format_duration(severity.response_time)}",
            "contact": "the on-call engineer of the primary rotation (runbooks/escalation.yaml)",
        }

    def _notify(self, kind: str, status: str) -> SentNotice:
        notice = self.comms.send(kind, self.plan.incident, self.values(status))
        self.state.notices.append(notice)
        self.timeline.mark(
            "notified", f"{kind} notice: {notice.path.name}" + (f"; {notice.webhook}" if notice.webhook else "")
        )
        return notice

    # -- stages ------------------------------------------------------------------------------------------------
    def prepare(self) -> Verdict:
        """Validate everything and observe the steady state; nothing is changed on the target."""
        self.comms.check()
        self.plan.mitigation.check(self.target)
        baseline = self.monitor.round()
        if baseline.incident:
            evidence = "; ".join(e.describe() for e in baseline.matched)
            raise TargetError(
                f"the target is not in steady state before the drill, so nothing was injected: {evidence}"
            )
        self.state.baseline = baseline
        return baseline

    def inject(self, inject: Callable[[], object]) -> None:
        """Inject the fault through ``inject`` (which marks ``injected``; marked here if it did not)."""
        if self.state.baseline is None:
            raise UsageError("prepare the drill before injecting its fault")
        if self.alerting is not None:
            self.alerting.start()
        self.timeline.mark("inject_started", self.plan.fault)
        inject()
        if not self.timeline.has("injected"):
            self.timeline.mark("injected", self.plan.fault)

    def detect(self) -> Detection:
        """Observe until a criterion holds (bounded by the expected severity's detection target)."""
        if self.plan.severity is None:
            raise UsageError(f"runbook {self.plan.runbook} declares no severity: the drill has no detection target")
        within = self.classification.severity(self.plan.severity).targets.detect_within
        detection = self.monitor.until_incident(within)
        first = detection.confirming[-1]
        self.timeline.mark("detected", first.summary(), at=detection.detected_at)
        self.state.detection = detection
        return detection

    def classify(self) -> Severity:
        """The worst severity of the detection and assessment rounds, with its evidence."""
        if self.state.detection is None:
            raise UsageError("nothing detected yet")
        verdict = self.state.detection.verdict
        assert verdict.severity is not None  # a detection always matched a criterion
        self.state.severity = self.classification.severity(verdict.severity)
        self.timeline.mark("classified", verdict.summary())
        return self.state.severity

    def alert_hold(self) -> float | None:
        """How long the fault must be allowed to last for its alert to fire and page, with a minute for the
        mitigation that follows (None: the alerting is not measured)."""
        if self.alerting is None or not self.alerting.measured or self.plan.severity is None:
            return None
        targets = self.classification.severity(self.plan.severity).targets
        longest = self.alerting.limit() + 60.0
        return max(targets.page_within or 0.0, targets.alert_within or 0.0, longest) + 60.0

    def alert(self) -> None:
        """Wait for the runbook's alert to fire in Prometheus and its page to arrive (with monitoring; nothing
        without): "alert never fired" when it does not within the runbook severity's ``alert_within``."""
        if self.alerting is None or not self.alerting.measured or self.timeline.has("alert_firing"):
            return
        declared = self.plan.severity or self._severity().name
        targets = self.classification.severity(declared).targets
        try:
            self.alerting.await_alert(targets.alert_within, targets.page_within)
        except TargetError:
            self.alerting.close()
            raise

    def acknowledge(self) -> str:
        """Page as the escalation says, and wait for the responder (at most the severity's response time). With
        monitoring, the responder answers the page Alertmanager delivered (the alert is awaited first, and shown as it
        arrived), and the acknowledgement silences that alert while the incident is handled
        (:meth:`DrillAlerting.acknowledge_page`)."""
        severity = self._severity()
        self.alert()
        delivered = self.alerting.page() if self.alerting is not None else None
        classified = self._wall("classified") or datetime.now(tz=UTC)
        self.state.pages = simulate(self.escalation, severity.name, 0.0, classified)
        for page in self.state.pages:
            self.timeline.mark("paged", page.describe())
        seen = self.state.detection.verdict.summary() if self.state.detection else ""
        summary = f"[{severity.name}] {delivered or f'{self.plan.title}: {seen}'}"
        deadline = time.monotonic() + severity.response_time
        if not self.responder.acknowledge(summary, deadline):
            self.timeline.mark(
                "unacknowledged", f"nobody acknowledged within {format_duration(severity.response_time)}"
            )
            raise TargetError(f"the page was not acknowledged within {format_duration(severity.response_time)}")
        self.timeline.mark("acknowledged", f"by {self.responder.name}", source=self.responder.source)
        if self.alerting is not None and delivered is not None:
            silenced = self.alerting.acknowledge_page(self.responder.name, self.alert_hold() or 600.0)
            if silenced is not None:
                kind = "page_silenced" if silenced.made else "page_not_silenced"
                self.timeline.mark(kind, f"the acknowledged alert: {silenced.describe()}")
        self.state.responder = self.responder.name
        self._notify("initial", "investigating")
        return self.responder.name

    def mitigate(self) -> tuple[ActionOutcome, ...]:
        """Run the runbook's automated mitigation (once the responder approves it)."""
        severity = self._severity()
        plan = self.plan.mitigation
        deadline = time.monotonic() + severity.targets.mitigate_within
        if not self.responder.approve_mitigation(plan.describe(), deadline):
            raise UsageError(f"{self.responder.name} declined the automated mitigation: {plan.describe()}")
        self.timeline.mark("mitigation_started", plan.describe(), source=self.responder.source)
        self.state.mitigation = run_mitigation(plan, self.target, self.say)
        self.timeline.mark("mitigated", "; ".join(o.detail for o in self.state.mitigation))
        self._notify("update", "mitigated, verifying recovery")
        return self.state.mitigation

    def recover(self) -> Recovery:
        """Observe until no criterion holds for enough rounds in a row."""
        within = self._severity().targets.recover_within
        recovery = self.monitor.until_recovered(within)
        self.timeline.mark("recovered", f"{len(recovery.clean)} clean rounds in a row", at=recovery.recovered_at)
        self.state.recovery = recovery
        self._notify("resolution", "resolved")
        return recovery

    def finish(self) -> DrillResult:
        """Derive the durations, against the classified severity's targets, and return what was measured."""
        severity = self._severity()
        state = self.state
        if state.baseline is None or state.detection is None or state.recovery is None:
            raise UsageError(f"the drill is not complete (timeline: {self.timeline.kinds()})")
        tl = self.timeline
        measurements = (
            tl.measure("time to detect", "injected", "detected", severity.targets.detect_within),
            tl.measure("time to acknowledge", "detected", "acknowledged", severity.response_time),
            tl.measure("time to mitigate", "detected", "mitigated", severity.targets.mitigate_within),
            tl.measure("time to recover", "injected", "recovered", severity.targets.recover_within),
            *self._alert_measurements(),
        )
        classified = self._wall("classified") or datetime.now(tz=UTC)
        return DrillResult(
            plan=self.plan,
            target=self.target.name,
            baseline=state.baseline,
            detection=state.detection,
            severity=severity,
            responder=state.responder,
            responder_source=self.responder.source,
            mitigation=state.mitigation,
            recovery=state.recovery,
            pages=state.pages,
            what_if=simulate(self.escalation, severity.name, WHAT_IF, classified),
            notices=tuple(state.notices),
            measurements=measurements,
            impact=self.impact(),
            timeline=tl.record(),
            t0=tl.t0,
            alerting=self.alerting.note() if self.alerting is not None else DrillResult.alerting,
        )

    def _alert_measurements(self) -> tuple[Measurement, ...]:
        """Time to alert and to page against the declared severity's targets, and the detection gap (alert minus
        probe); nothing when the alerting was not observed (never an assumed time)."""
        if self.alerting is not None:
            self.alerting.close()
        tl = self.timeline
        if not tl.has("alert_firing"):
            return ()
        targets = self.classification.severity(self.plan.severity or self._severity().name).targets
        found = [
            tl.measure("time to alert", "injected", "alert_firing", targets.alert_within),
            tl.measure("detection gap (alert minus probe)", "detected", "alert_firing"),
        ]
        if tl.has("alert_delivered"):
            found.append(tl.measure("time to page", "injected", "alert_delivered", targets.page_within))
        return tuple(found)

    def run(self, inject: Callable[[], object]) -> DrillResult:
        """Every stage in order."""
        self.prepare()
        self.inject(inject)
        self.detect()
        self.classify()
        self.acknowledge()
        self.mitigate()
        self.recover()
        return self.finish()
