"""Run-wide state of the plugin, kept in ``config.stash``: what each test produced, for the reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pytest

from opsready.results import MeasuredKpi, ScenarioResult, StepRef, TrafficPoint
from opsready.targets.protocol import TargetDescription
from opsready.timeline import Timeline
from opsready.traffic import Traffic


@dataclass
class RunState:
    """Mutable collector for one pytest session (the only mutable piece; reports read frozen results)."""

    started_wall: datetime
    started: float
    results: dict[str, ScenarioResult] = field(default_factory=dict)
    timelines: dict[str, Timeline] = field(default_factory=dict)
    traffic: dict[str, list[Traffic]] = field(default_factory=dict)
    target: TargetDescription | None = None
    training_releases: tuple[str, ...] = ()
    measured_kpis: tuple[MeasuredKpi, ...] = ()  # asked of the target's Prometheus when the run is over
    report_lines: tuple[str, ...] = ()  # the readiness score, for the terminal summary once reports are written
    candidate_lines: list[str] = field(default_factory=list)  # the release-candidate gate: plan, rehearsal, outcome
    refusal: str = ""  # why the release-candidate gate refused to start (nothing was changed)

    def record(self, item: pytest.Item, report: pytest.TestReport) -> None:
        """Fold one phase report (setup, call, teardown) into the test's result."""
        previous = self.results.get(item.nodeid)
        quiet_phase = report.when != "call" and report.passed
        if quiet_phase and previous is None:
            return
        if previous is not None and (quiet_phase or previous.outcome in ("failed", "error")):
            outcome, message = previous.outcome, previous.message
        else:
            outcome = "error" if report.when != "call" and report.failed else report.outcome
            message = _message(report) if (report.failed or report.skipped) else ""
        timeline = self.timelines.get(item.nodeid)
        series: tuple[TrafficPoint, ...] = ()
        if timeline is not None:
            for traffic in self.traffic.get(item.nodeid, []):
                series += traffic.snapshot().series(timeline.t0)
        feature, name = _names(item)
        self.results[item.nodeid] = ScenarioResult(
            nodeid=item.nodeid,
            name=name,
            feature=feature,
            outcome=outcome,
            duration=(previous.duration if previous else 0.0) + report.duration,
            runbooks=tuple(dict.fromkeys(m.args[0] for m in item.iter_markers("runbook") if m.args)),
            markers=tuple(sorted({m.name for m in item.iter_markers()} - {"runbook", "parametrize", "usefixtures"})),
            message=message,
            timeline=timeline.record() if timeline is not None else None,
            traffic=series,
            runbook_steps=_steps(item),
        )

    def measurement_lines(self) -> list[str]:
        """'scenario: time to roll back: 2.1 s (target 5 min 0 s) ok' for every measurement of the run."""
        lines = []
        for result in self.results.values():
            if result.timeline is None:
                continue
            for m in result.timeline.measurements:
                lines.append(f"{result.name}: {m.describe()}")
        return lines


def _message(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message)[:2000]
    return str(report.longrepr)[:2000] if report.longrepr else ""


def _steps(item: pytest.Item) -> tuple[StepRef, ...]:
    """The runbook steps a test verifies: ``pytest.mark.runbook("<id>", step=n)`` (from ``@runbook:<id>:<n>``)."""
    refs = (
        StepRef(str(m.args[0]), int(m.kwargs["step"]))
        for m in item.iter_markers("runbook")
        if m.args and "step" in m.kwargs
    )
    return tuple(sorted(set(refs), key=lambda r: (r.runbook, r.step)))


def _names(item: pytest.Item) -> tuple[str, str]:
    from opsready.plugin.preflight import scenario_of

    scenario = scenario_of(item)
    if scenario is None:
        return item.nodeid.split("::")[0], item.name
    suffix = f" [{item.callspec.id}]" if hasattr(item, "callspec") else ""
    return scenario.feature.name or scenario.feature.rel_filename, scenario.name + suffix


RUN_KEY = pytest.StashKey[RunState]()
