"""Impact windows, TTD/TTA/TTR and the story's KPIs from recorded events and traffic; "no data" without evidence."""

from __future__ import annotations

import pytest

from opsready.report.analysis import deployments, key_durations, subject, windows
from opsready.report.kpi import kpis
from opsready.results import RunResult, ScenarioResult, TrafficPoint
from opsready.timeline import Event, Measurement, TimelineRecord


def record(*events: Event, measurements: tuple[Measurement, ...] = ()) -> TimelineRecord:
    """A timeline of the given events."""
    return TimelineRecord("t", "2026-11-27T10:00:00.000Z", events, measurements)


def ev(kind: str, at: float, detail: str = "", source: str = "auto") -> Event:
    """An event at ``at`` seconds."""
    return Event(kind, at, "w", detail, source)


def scenario(
    timeline: TimelineRecord | None, traffic: tuple[TrafficPoint, ...] = (), name: str = "s"
) -> ScenarioResult:
    """A passed scenario with that timeline and traffic."""
    return ScenarioResult(name, name, "f", "passed", 1.0, timeline=timeline, traffic=traffic)


def run(*scenarios: ScenarioResult, training: tuple[str, ...] = ()) -> RunResult:
    """A run of those scenarios."""
    return RunResult("2026-11-27T10:00:00Z", "2026-11-27T10:05:00Z", 300.0, None, scenarios, training_releases=training)


def by_key(result: RunResult) -> dict[str, tuple[str, str, float | None]]:
    """KPI key -> (value, status, number)."""
    return {k.key: (k.value, k.status, k.number) for k in kpis(result)}


FAULT = record(
    ev("injected", 2.0, "db-latency: +400 ms"),
    ev("detected", 4.0),
    ev("acknowledged", 10.0, source="manual"),
    ev("reverted", 12.0),
    ev("recovered", 13.0),
)
BAD_RELEASE = record(
    ev("deploy_started", 1.0, "1.2.0 -> 1.3.0-errors"),
    ev("deployed", 1.5, "1.3.0-errors"),
    ev("detected", 3.0),
    ev("rollback_started", 3.0, "error_rate"),
    ev("rolled_back", 3.5, "1.2.0"),
    ev("healthy", 4.5, "1.2.0"),
)


def test_windows_shade_faults_and_bad_releases() -> None:
    """injected..recovered; deploy_started..healthy after an automatic rollback; deploy_started..deployed otherwise."""
    assert [(w.kind, w.start, w.end) for w in windows(FAULT)] == [("fault", 2.0, 13.0)]
    assert [(w.kind, w.start, w.end) for w in windows(BAD_RELEASE)] == [("bad release", 1.0, 4.5)]
    good = record(ev("deploy_started", 1.0, "1.0.0 -> 1.1.0"), ev("deployed", 1.3, "1.1.0"))
    assert [(w.kind, w.start, w.end, w.label) for w in windows(good)] == [
        ("deployment", 1.0, 1.3, "deployment of 1.1.0")
    ]
    unrecovered = record(ev("injected", 2.0, "kill-api: SIGKILL"))
    assert [(w.start, w.end, w.label) for w in windows(unrecovered)] == [
        (2.0, None, "kill-api: injected, never recovered")
    ]
    manual = record(ev("rollback_started", 1.0, "reason", "manual"), ev("rolled_back", 1.4), ev("healthy", 2.0))
    assert [(w.kind, w.start, w.end) for w in windows(manual)] == [("rollback", 1.0, 2.0)]
    assert windows(None) == ()


def test_key_durations_prefer_measurements_then_events() -> None:
    """A drill's own measurement wins; otherwise the span between the usual events; otherwise no data."""
    measured = record(*FAULT.events, measurements=(Measurement("time to recover", "reverted", "recovered", 1.0, 60.0),))
    ttd, tta, ttr = key_durations(measured)
    assert (ttd.seconds, ttd.start, ttd.end, ttd.target) == (2.0, "injected", "detected", None)
    assert (tta.seconds, tta.start, tta.end) == (6.0, "detected", "acknowledged")
    assert (ttr.seconds, ttr.start, ttr.target, ttr.ok) == (1.0, "reverted", 60.0, True)
    _, tta, ttr = key_durations(BAD_RELEASE)
    assert tta.seconds is None and tta.ok is None
    assert (ttr.seconds, ttr.start, ttr.end) == (3.0, "deployed", "healthy")
    assert all(k.seconds is None for k in key_durations(None))


def test_deployments_leave_training_releases_out_and_manual_rollbacks_are_no_failure() -> None:
    """An automatic rollback fails a deployment; a person's rollback drill afterwards does not; no 'deployed' fails."""
    later_manual = record(
        ev("deploy_started", 1.0, "1.1.0 -> 1.2.0"),
        ev("deployed", 1.2, "1.2.0"),
        ev("rollback_started", 5.0, "schema drill", "manual"),
        ev("rolled_back", 5.5, "1.1.0"),
        ev("deploy_started", 6.0, "1.1.0 -> 1.2.0"),
    )
    assert [(d.version, d.succeeded) for d in deployments(later_manual)] == [("1.2.0", True), ("1.2.0", False)]
    assert [(d.version, d.succeeded, d.training) for d in deployments(BAD_RELEASE, ("1.3.0-errors",))] == [
        ("1.3.0-errors", False, True)
    ]


def test_availability_over_the_run_and_outside_impact_windows() -> None:
    """Failures inside the bad-release window count for the whole run but not outside the windows."""
    traffic = (
        TrafficPoint(0.0, 100, 0, 0.01),
        TrafficPoint(1.0, 100, 30, 0.01),  # [1, 2) overlaps the window 1.0..4.5
        TrafficPoint(4.0, 100, 10, 0.01),  # [4, 5) overlaps it too
        TrafficPoint(5.0, 100, 0, 0.01),
        TrafficPoint(6.0, 100, 1, 0.01),
    )
    values = by_key(run(scenario(BAD_RELEASE, traffic)))
    assert values["availability"] == ("91.80 %", "missed", pytest.approx(459 / 500))
    assert values["availability_outside_windows"] == ("99.67 %", "missed", pytest.approx(299 / 300))
    clean = tuple(TrafficPoint(float(t), 1000, 0, 0.01) for t in range(5))
    assert by_key(run(scenario(None, clean)))["availability"] == ("100.00 %", "met", 1.0)


def test_mtta_deployment_rate_and_maintenance() -> None:
    """MTTA from acknowledged events; deployment success without training releases; the longest maintenance."""
    maintenance = record(
        ev("started", 0.0), ev("finished", 30.0),
        measurements=(Measurement("maintenance duration", "started", "finished", 30.0, 7200.0),),
    )  # fmt: skip
    good = record(ev("deploy_started", 1.0, "1.0.0 -> 1.1.0"), ev("deployed", 1.3, "1.1.0"))
    result = run(
        scenario(FAULT), scenario(BAD_RELEASE), scenario(good), scenario(maintenance), training=("1.3.0-errors",)
    )
    values = by_key(result)
    assert values["mtta"] == ("6.0 s", "met", 6.0)
    assert values["deployment_success"] == ("100.00 %", "met", 1.0)
    assert values["maintenance"] == ("30.0 s", "met", 30.0)
    evidence = {k.key: k.evidence for k in kpis(result)}
    assert (
        evidence["deployment_success"]
        == "1 of 1 deployment(s) succeeded; 1 deployment(s) of training releases left out"
    )
    counted = by_key(run(scenario(BAD_RELEASE), scenario(good)))  # nobody said 1.3.0-errors is a training release
    assert counted["deployment_success"] == ("50.00 %", "missed", 0.5)


def test_no_evidence_means_no_data() -> None:
    """A run without traffic, acknowledgements, deployments or maintenance shows 'no data', not a number."""
    values = by_key(run(scenario(None)))
    assert {key: value[:2] for key, value in values.items()} == {
        "availability": ("no data", "no data"),
        "availability_outside_windows": ("no data", "no data"),
        "mtta": ("no data", "no data"),
        "deployment_success": ("no data", "no data"),
        "maintenance": ("no data", "no data"),
    }
    assert all(value[2] is None for value in values.values())


def test_trend_subject_is_the_fault_else_the_scenario() -> None:
    """Trends group chaos drills by fault and other drills by scenario name."""
    assert subject(scenario(FAULT)) == "fault db-latency"
    assert subject(scenario(BAD_RELEASE, name="Flawed [1.3.0-errors]")) == "Flawed [1.3.0-errors]"
