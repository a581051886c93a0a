"""What a drill can measure of the alerting, decided before anything runs: the runbook's alerts, and why not."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from opsready.incident.alerting import DrillAlerting, plan_alerting
from opsready.monitoring.client import MonitoringEndpoints
from opsready.targets.protocol import Target
from opsready.timeline import Timeline

ALERTS = Path(__file__).resolve().parents[3] / "runbooks" / "alerts"


class Unmonitored:
    """A target that says nothing of monitoring."""

    name = "plain"


class Monitoring:
    """A target that has monitoring, or says why not."""

    name = "watched"

    def __init__(self, endpoints: MonitoringEndpoints | None, why: str = "") -> None:
        self.endpoints, self.why = endpoints, why

    def monitoring(self) -> MonitoringEndpoints | None:
        return self.endpoints

    def monitoring_off_reason(self) -> str:
        return self.why


def target(obj: Any) -> Target:
    return cast(Target, obj)


def test_the_runbooks_alerts_are_watched_on_a_monitored_target() -> None:
    """The alerts whose `runbook` annotation names it: OrdersServiceDown for incident-service-down."""
    endpoints = MonitoringEndpoints("http://127.0.0.1:1", "http://127.0.0.1:2", 3)
    plan = plan_alerting(target(Monitoring(endpoints)), "incident-service-down", ALERTS)
    assert plan.names == ("OrdersServiceDown",) and not plan.off
    assert "firing polled every 0.5 s" in DrillAlerting(plan, Timeline("t")).note()


def test_without_monitoring_nothing_is_measured_and_the_note_says_why() -> None:
    """A target without monitoring, one whose monitoring is off, and a runbook no alert names: not measured."""
    plain = plan_alerting(target(Unmonitored()), "incident-service-down", ALERTS)
    assert plain.off == "target 'plain' has no monitoring"
    off = plan_alerting(target(Monitoring(None, "prometheus not installed")), "incident-service-down", ALERTS)
    assert off.off == "prometheus not installed"
    endpoints = MonitoringEndpoints("http://127.0.0.1:1", "http://127.0.0.1:2", 3)
    unnamed = plan_alerting(target(Monitoring(endpoints)), "incident-nobody-alerts", ALERTS)
    assert "no alert rule" in unnamed.off and "incident-nobody-alerts" in unnamed.off
    timeline = Timeline("t")
    alerting = DrillAlerting(off, timeline)
    alerting.start()  # nothing to watch: no thread, no port
    assert not alerting.measured
    said = timeline.first("alerting_not_measured")
    assert said is not None and said.detail == "prometheus not installed"
    assert alerting.await_alert(120.0, 180.0) is None
    assert alerting.note() == "alerting not measured: prometheus not installed"


def test_without_a_page_there_is_nothing_to_acknowledge_nor_silence(tmp_path: Path) -> None:
    """Acknowledging before any page arrived (no monitoring, or none delivered) silences and journals nothing."""
    endpoints = MonitoringEndpoints("http://127.0.0.1:1", "http://127.0.0.1:2", 3)
    plan = plan_alerting(target(Monitoring(endpoints)), "incident-service-down", ALERTS)
    alerting = DrillAlerting(plan, Timeline("t"), target=Monitoring(endpoints), silences=tmp_path / "silences")
    assert alerting.page() is None
    assert alerting.acknowledge_page("someone", 60.0) is None
    alerting.close()
    assert not (tmp_path / "silences").exists()
