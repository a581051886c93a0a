"""The operations story's KPIs, computed from one run's results; a KPI without evidence says "no data".

Definitions (docs/reports.md repeats them for readers):

- availability: requests of the background traffic that succeeded (an answer below HTTP 500) over all requests it
  sent, across every scenario of the run; also shown outside the impact windows (faults and bad releases rehearsed
  on purpose), which is what users would have seen had nothing been injected. Target: at least 99.9 %.
- mean time to acknowledge: the mean over scenarios with an ``acknowledged`` event of their time to acknowledge (the
  drill's "time to acknowledge" measurement, else from the first ``detected`` to the first ``acknowledged`` after
  it). Target: under 15 minutes.
- deployment success rate: deployments (``deploy_started`` events) that went live (``deployed``) and were not rolled
  back automatically afterwards, over all deployments; deployments of training releases, flawed on purpose to
  rehearse a rollback, are left out. Manual rollbacks are drills of the rollback runbook, not failed deployments.
  Target: above 95 %.
- maintenance duration: the longest "maintenance duration" measurement of the run. Target: under 2 hours.
- availability (Prometheus), when ``kpis.availability.prometheus`` is configured: the team's own query over the
  whole run, answered by the target's Prometheus at its end (every user's requests, not only opsready's traffic),
  held to the configured condition (default ``result >= 0.999``). No data is "no data", never met.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from opsready.config.kpis import KpiKey
from opsready.durations import format_duration
from opsready.report.analysis import Window, deployments, key_durations, windows
from opsready.results import KpiOutcome, MeasuredKpi, RunResult, TrafficPoint

AVAILABILITY_TARGET = 0.999
MTTA_TARGET = 15 * 60.0
DEPLOYMENT_SUCCESS_TARGET = 0.95
MAINTENANCE_TARGET = 2 * 3600.0
KpiStatus = Literal["met", "missed", "no data"]
MET: KpiStatus = "met"
MISSED: KpiStatus = "missed"
NO_DATA: KpiStatus = "no data"


@dataclass(frozen=True)
class Kpi:
    """One KPI of one run: its value against the story's target, and the evidence behind the value."""

    key: str
    name: str
    target: str
    value: str
    status: KpiStatus
    evidence: str
    number: float | None = None


@dataclass(frozen=True)
class DeploymentCount:
    """Deployments a run made that count for the KPI, how many succeeded, and how many training ones were left out."""

    counted: int
    succeeded: int
    training: int = 0

    @property
    def rate(self) -> float | None:
        """Succeeded over counted, or None when nothing counted."""
        return self.succeeded / self.counted if self.counted else None


def percent(value: float) -> str:
    """'99.95 %' (two decimals, so 99.9 % and 100 % stay apart)."""
    return f"{value * 100:.2f} %"


def _status(ok: bool) -> KpiStatus:
    return MET if ok else MISSED


def _outside(point: TrafficPoint, spans: tuple[Window, ...], end: float) -> bool:
    return all(point.at >= (w.end if w.end is not None else end) or point.at + 1.0 <= w.start for w in spans)


def traffic_totals(result: RunResult) -> tuple[int, int, int, int]:
    """Requests and failures of the run's background traffic: overall, then outside the impact windows."""
    total = failed = calm_total = calm_failed = 0
    for scenario in result.scenarios:
        spans = windows(scenario.timeline)
        end = max((p.at + 1.0 for p in scenario.traffic), default=0.0)
        for point in scenario.traffic:
            total, failed = total + point.requests, failed + point.failed
            if _outside(point, spans, end):
                calm_total, calm_failed = calm_total + point.requests, calm_failed + point.failed
    return total, failed, calm_total, calm_failed


def _availability_kpi(key: str, name: str, sent: int, lost: int, scope: str) -> Kpi:
    target = f"at least {percent(AVAILABILITY_TARGET)}"
    if not sent:
        return Kpi(key, name, target, NO_DATA, NO_DATA, f"no background traffic {scope}")
    value = (sent - lost) / sent
    evidence = f"{sent} requests, {lost} failed, {scope}"
    return Kpi(key, name, target, percent(value), _status(value >= AVAILABILITY_TARGET), evidence, value)


def _availability(result: RunResult) -> tuple[Kpi, Kpi]:
    total, failed, calm_total, calm_failed = traffic_totals(result)
    return (
        _availability_kpi("availability", "Availability", total, failed, "over every scenario of the run"),
        _availability_kpi(
            "availability_outside_windows",
            "Availability outside impact windows",
            calm_total,
            calm_failed,
            "outside fault and bad-release windows",
        ),
    )


def _mtta(result: RunResult) -> Kpi:
    seconds = []
    for scenario in result.scenarios:
        record = scenario.timeline
        if record is None or not any(e.kind == "acknowledged" for e in record.events):
            continue
        tta = next(k for k in key_durations(record) if k.label == "TTA")
        if tta.seconds is not None:
            seconds.append(tta.seconds)
    target = "under 15 minutes"
    if not seconds:
        return Kpi("mtta", "Mean time to acknowledge", target, NO_DATA, NO_DATA, "no scenario was acknowledged")
    mean = sum(seconds) / len(seconds)
    evidence = f"mean of {len(seconds)} acknowledgement(s), longest {format_duration(max(seconds))}"
    return Kpi(
        "mtta", "Mean time to acknowledge", target, format_duration(mean), _status(mean < MTTA_TARGET), evidence, mean
    )


def deployment_count(result: RunResult) -> DeploymentCount:
    """The run's deployments for the KPI (training releases left out)."""
    made = [d for s in result.scenarios for d in deployments(s.timeline, result.training_releases)]
    counted = [d for d in made if not d.training]
    return DeploymentCount(len(counted), sum(1 for d in counted if d.succeeded), len(made) - len(counted))


def _deployments(result: RunResult) -> Kpi:
    count = deployment_count(result)
    target = f"above {percent(DEPLOYMENT_SUCCESS_TARGET)}"
    left_out = f"; {count.training} deployment(s) of training releases left out" if count.training else ""
    if count.rate is None:
        return Kpi(
            "deployment_success", "Deployment success rate", target, NO_DATA, NO_DATA, "no deployment" + left_out
        )
    evidence = f"{count.succeeded} of {count.counted} deployment(s) succeeded{left_out}"
    ok = count.rate > DEPLOYMENT_SUCCESS_TARGET
    return Kpi(
        "deployment_success", "Deployment success rate", target, percent(count.rate), _status(ok), evidence, count.rate
    )


def _maintenance(result: RunResult) -> Kpi:
    seconds = [
        m.seconds
        for s in result.scenarios
        if s.timeline is not None
        for m in s.timeline.measurements
        if m.name == "maintenance duration"
    ]
    target = "under 2 hours"
    if not seconds:
        return Kpi("maintenance", "Maintenance duration", target, NO_DATA, NO_DATA, "no maintenance ran")
    longest = max(seconds)
    evidence = f"longest of {len(seconds)} maintenance run(s)"
    return Kpi(
        "maintenance",
        "Maintenance duration",
        target,
        format_duration(longest),
        _status(longest < MAINTENANCE_TARGET),
        evidence,
        longest,
    )


_MEASURED_NAMES: dict[KpiKey, str] = {"availability": "Availability (Prometheus)"}
_MEASURED_STATUS: dict[KpiOutcome, KpiStatus] = {"successful": MET, "failed": MISSED, "inconclusive": NO_DATA}


def measured_kpi(measured: MeasuredKpi) -> Kpi:
    """A KPI the target's monitoring measured, as a row: its value (a ratio, as a percentage), its condition, and the
    query and window as evidence."""
    name = _MEASURED_NAMES[measured.key]
    value = percent(measured.value) if measured.value is not None else NO_DATA
    evidence = f"{measured.source}, over {format_duration(measured.window)}: {measured.detail}"
    return Kpi(
        f"{measured.key}_{measured.source}",
        name,
        measured.condition,
        value,
        _MEASURED_STATUS[measured.outcome],
        evidence,
        measured.value,
    )


def kpis(result: RunResult) -> tuple[Kpi, ...]:
    """The story's operational KPIs for this run, in the story's order, then those the target's monitoring measured."""
    availability, outside = _availability(result)
    measured = tuple(measured_kpi(m) for m in result.measured_kpis)
    return (availability, outside, _mtta(result), _deployments(result), _maintenance(result), *measured)
