"""The team's alerting in an incident drill: the runbook's alerts watched from the fault on, and held to the
severity's ``alert_within`` and ``page_within``.

Beside opsready's own detection (the probes), a drill on a target with monitoring records when the alert that names
the runbook became pending and firing in Prometheus and when Alertmanager's page reached opsready's receiver
(:mod:`opsready.monitoring.watch`). An alert that does not fire within ``alert_within`` fails the drill with "alert
never fired"; without monitoring every alert figure is "not measured", never passed.

Acknowledging a page: Alertmanager has no acknowledgement of its own. Here the page is the delivery to opsready's
receiver; the responder is shown that alert (its name, severity, summary, runbook) and acknowledges it (the drill's
acknowledge stage, which only starts once the page arrived); and, as alert dashboards such as karma do, the
acknowledgement is a silence of exactly that alert (every label of it as a matcher, the responder as its author,
"acknowledged" in its comment) for as long as the drill's fault may last, so Alertmanager re-notifies nobody while
the incident is being handled. It is journaled like a maintenance silence, expired when the drill ends (on every
outcome) or by ``opsready recover``, and only made where the target allows silences; elsewhere the acknowledgement
is recorded without one, and the timeline says why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from opsready.config.monitoring import Matcher
from opsready.durations import format_duration
from opsready.errors import TargetError
from opsready.monitoring.client import MonitoringEndpoints, PrometheusClient, monitoring_of
from opsready.monitoring.receiver import DeliveredAlert
from opsready.monitoring.rules import AlertRule, find_rule_files, read_alert_rules
from opsready.monitoring.silence_journal import SilenceOutcome, SilenceSession
from opsready.monitoring.watch import POLL, AlertTimes, AlertWatch
from opsready.targets.protocol import Target
from opsready.timeline import Timeline

STEADY_WAIT = 60.0  # an alert resolves one evaluation after its condition ends (5 s in the sandbox; 1 min typical)


@dataclass(frozen=True)
class AlertingPlan:
    """The alerts that name a runbook and where to watch them; ``off`` says why nothing will be measured."""

    runbook: str
    alerts: tuple[AlertRule, ...]
    endpoints: MonitoringEndpoints | None
    off: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        """The alert names watched."""
        return tuple(a.name for a in self.alerts)


def plan_alerting(target: Target, runbook: str, alerts_dir: Path) -> AlertingPlan:
    """What a drill of ``runbook`` on ``target`` can measure of the alerting."""
    alerts = tuple(a for path in find_rule_files(alerts_dir) for a in read_alert_rules(path) if a.runbook == runbook)
    endpoints, why = monitoring_of(target)
    if endpoints is None:
        return AlertingPlan(runbook, alerts, None, why)
    if not alerts:
        return AlertingPlan(runbook, alerts, endpoints, f"no alert rule in {alerts_dir} names runbook '{runbook}'")
    return AlertingPlan(runbook, alerts, endpoints)


class DrillAlerting:
    """One drill's watch of its runbook's alerts, marking ``alert_pending``, ``alert_firing`` and
    ``alert_delivered`` on the drill's timeline.

    Drills in one process run one after another and share the receiver's port: a watch a drill that failed early
    left open is closed when the next one starts.
    """

    _open: DrillAlerting | None = None

    def __init__(
        self,
        plan: AlertingPlan,
        timeline: Timeline,
        poll: float = POLL,
        *,
        target: object = None,
        silences: Path | None = None,
    ) -> None:
        self.plan = plan
        self.timeline = timeline
        self.poll = poll
        self.target = target  # whose Alertmanager an acknowledgement silences (where it allows silences)
        self.silences = silences  # where the acknowledgement's silence is journaled (None: never silenced)
        self._watch: AlertWatch | None = None
        self._limit: float | None = None
        self._paged: DeliveredAlert | None = None
        self._ack: SilenceSession | None = None

    def limit(self) -> float:
        """The longest any watched alert may take to fire after a step change (its range window and ``for:``, two
        scrapes, two evaluations and a second), from the Prometheus's own scrape and evaluation intervals, read once:
        a ProbeError when it does not answer. Only for a measured plan."""
        if self._limit is None:
            assert self.plan.endpoints is not None, "the limit of an alerting that is not measured"
            cadence = PrometheusClient(self.plan.endpoints.prometheus).cadence()
            self._limit = max(a.alert_limit(cadence.scrape, cadence.evaluation_of(a.group)) for a in self.plan.alerts)
        return self._limit

    @property
    def measured(self) -> bool:
        """Whether the alerting is watched at all."""
        return not self.plan.off

    def note(self) -> str:
        """One line for the report: what was watched, or why it was not measured."""
        if self.plan.off:
            return f"alerting not measured: {self.plan.off}"
        return f"alerts {', '.join(self.plan.names)}: firing polled every {self.poll:g} s, pending from activeAt"

    def start(self, settle: float = STEADY_WAIT) -> None:
        """Start watching (before the fault, so nothing that follows it is missed). A watched alert still active
        from before (an earlier drill's, resolving) is waited out for up to ``settle`` s: it would read as this
        fault's alert. Without monitoring the timeline says so (``alerting_not_measured`` and why): a report never
        leaves the reader to guess whether an alert was measured."""
        if not self.measured and not self.timeline.has("alerting_not_measured"):
            self.timeline.mark("alerting_not_measured", self.plan.off)
        if self.measured and self._watch is None:
            assert self.plan.endpoints is not None
            self._settle(PrometheusClient(self.plan.endpoints.prometheus), settle)
            if DrillAlerting._open is not None:
                DrillAlerting._open.close()
            self._watch = AlertWatch(self.plan.endpoints, self.plan.names, self.poll).__enter__()
            DrillAlerting._open = self

    def _settle(self, client: PrometheusClient, settle: float) -> None:
        deadline = time.monotonic() + settle
        while True:
            active = sorted({a.name for a in client.alerts() if a.name in self.plan.names})
            if not active:
                return
            if time.monotonic() > deadline:
                raise TargetError(
                    f"alert {', '.join(active)} is active before the fault (for {settle:g} s): not in steady state, "
                    "so nothing was injected"
                )
            time.sleep(self.poll)

    def close(self) -> None:
        """Stop polling and receiving, and expire the acknowledgement's silence (harmless twice)."""
        if self._ack is not None:
            ended = self._ack.close()
            self._ack = None
            if ended.made and not ended.removed:
                self.timeline.mark("page_silence_left", ended.describe())
        if self._watch is not None:
            self._watch.__exit__(None, None, None)
            self._watch = None
        if DrillAlerting._open is self:
            DrillAlerting._open = None

    def await_alert(self, alert_within: float | None, page_within: float | None) -> AlertTimes | None:
        """Wait for the runbook's alert to fire and its page to arrive, bounded from the fault's injection by
        ``alert_within`` and ``page_within`` (each defaults to the longest rule's limit); None when not measured."""
        watch = self._watch
        if watch is None:
            return None
        injected = self.timeline.first("injected")
        start = self.timeline.t0 + injected.at if injected is not None else time.monotonic()
        limit = self.limit()
        alert_by = start + (alert_within if alert_within is not None else limit)
        fired = watch.wait_firing(alert_by)
        gaps = f" ({len(watch.errors())} poll(s) of Prometheus failed)" if watch.errors() else ""
        if fired is None or fired.firing is None:
            waited = format_duration(alert_by - start)
            self.timeline.mark("alert_missing", f"{', '.join(self.plan.names)} not firing {waited} after the fault")
            raise TargetError(f"alert never fired: {', '.join(self.plan.names)} within {waited} of the fault{gaps}")
        if fired.pending is not None:
            self.timeline.mark("alert_pending", f"{fired.name} pending (Prometheus activeAt)", at=fired.pending)
        self.timeline.mark("alert_firing", f"{fired.name} firing (seen by a {self.poll:g} s poll)", at=fired.firing)
        page_by = start + (page_within if page_within is not None else limit + 60.0)
        delivered = watch.wait_delivered(fired.name, page_by)
        if delivered is None:
            self.timeline.mark("page_missing", f"{fired.name} fired but no page arrived")
            waited = format_duration(page_by - start)
            raise TargetError(f"alert {fired.name} fired but its page never arrived within {waited} of the fault")
        self.timeline.mark("alert_delivered", f"{fired.name} delivered by Alertmanager to opsready", at=delivered)
        self._paged = watch.delivered_alert(fired.name)
        return AlertTimes(fired.name, fired.pending, fired.firing, delivered)

    def page(self) -> str | None:
        """The page that arrived as a responder reads it (alert, severity, summary, runbook); None when none did."""
        if self._paged is None:
            return None
        labels, notes = dict(self._paged.labels), dict(self._paged.annotations)
        runbook = labels.get("runbook") or notes.get("runbook")
        details = [
            f"severity {labels['severity']}" if "severity" in labels else "",
            notes.get("summary") or notes.get("description") or "",
            f"runbook {runbook}" if runbook else "",
        ]
        said = ", ".join(d for d in details if d)
        return f"{self._paged.name} firing: {said}" if said else f"{self._paged.name} firing"

    def acknowledge_page(self, responder: str, seconds: float) -> SilenceOutcome | None:
        """Acknowledge the page that arrived: silence exactly its alert on the target's Alertmanager for ``seconds``
        (journaled; expired by :meth:`close`). None when no page arrived; an outcome that says why no silence was
        made where the target allows none or Alertmanager refused."""
        if self._paged is None:
            return None
        if self.silences is None:
            return SilenceOutcome(False, "the drill keeps no silence journal")
        matchers = tuple(Matcher(key, value, False, True) for key, value in self._paged.labels)
        self._ack = SilenceSession(
            self.silences,
            self.target,
            f"acknowledged by {responder}: {self._paged.name}",
            components=(),
            created_by=responder,
        )
        outcome = self._ack.open(seconds, groups=((self._paged.name, matchers),))
        if not outcome.made:
            self._ack = None
        return outcome
