"""``readiness.html``: one self-contained page (inline CSS and SVG, no script, no network) rendered with Jinja2.

It reads the run's result, the readiness score and the history only; it never reaches back into a target. Every
string is redacted before rendering and escaped by Jinja2's autoescaping; charts are SVG built in
:mod:`opsready.report.charts` with their text escaped there.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from opsready.durations import format_duration
from opsready.report.analysis import KeyDuration, Window, key_durations, windows
from opsready.report.charts import timeline_chart, traffic_chart, trend_chart
from opsready.report.coverage import RunbookCoverage, coverage
from opsready.report.history import History, PastRun
from opsready.report.jsonreport import outcome_counts
from opsready.report.kpi import DEPLOYMENT_SUCCESS_TARGET, Kpi, kpis
from opsready.report.output import write_atomically
from opsready.report.quality_model import QualityReport
from opsready.report.redact import redact_result
from opsready.report.score import Readiness
from opsready.results import Artifact, ArtifactKind, RunResult, ScenarioResult
from opsready.version import __version__

TEMPLATE = "readiness.html.j2"
TREND_RUNS = 20
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class ScenarioView:
    """A scenario as the page shows it: key durations, impact windows, the chart, what users saw."""

    scenario: ScenarioResult
    anchor: str
    key: tuple[KeyDuration, ...]
    windows: tuple[Window, ...]
    chart: Markup | None
    traffic: str


@dataclass(frozen=True)
class TrendView:
    """One trend over the recorded runs, with its chart."""

    title: str
    chart: Markup
    latest: str
    points: int
    target: str = ""


@dataclass(frozen=True)
class ArtifactView:
    """A link to a file a drill left: its kind, name, a link relative to the page, and whether this run wrote it."""

    kind: ArtifactKind
    name: str
    href: str
    modified: str
    this_run: bool


def _anchor(index: int, name: str) -> str:
    return f"s{index}-{_SLUG.sub('-', name.lower()).strip('-')[:40]}"


def _scenario_view(index: int, scenario: ScenarioResult) -> ScenarioView:
    record = scenario.timeline
    spans = windows(record)
    events = record.events if record is not None else ()
    chart: Markup | None = None
    label = f"{scenario.name}: background traffic and events"
    if scenario.traffic:
        chart = traffic_chart(scenario.traffic, events, spans, label)
    elif events:
        chart = timeline_chart(events, spans, f"{scenario.name}: events")
    sent = sum(p.requests for p in scenario.traffic)
    failed = sum(p.failed for p in scenario.traffic)
    traffic = f"{sent} requests, {failed} failed" if scenario.traffic else ""
    return ScenarioView(scenario, _anchor(index, scenario.name), key_durations(record), spans, chart, traffic)


def _ttr_trends(runs: Sequence[PastRun]) -> list[TrendView]:
    subjects = dict.fromkeys(
        s.subject for run in runs for s in run.scenarios if s.measured("time to recover") is not None
    )
    trends = []
    for name in subjects:
        values: list[tuple[str, float | None]] = []
        target = None
        for run in runs:
            measured = [m for s in run.scenarios if s.subject == name and (m := s.measured("time to recover"))]
            values.append((run.finished, max((m.seconds for m in measured), default=None)))
            target = next((m.target for m in measured if m.target is not None), target)
        known = [v for _, v in values if v is not None]
        chart = trend_chart(values, "s", f"time to recover of {name} over runs", target)
        shown = format_duration(target) if target is not None else ""
        trends.append(TrendView(name, chart, format_duration(known[-1]), len(known), shown))
    return trends


def _deployment_trend(runs: Sequence[PastRun]) -> TrendView | None:
    values = [(r.finished, None if r.deployment_rate is None else 100.0 * r.deployment_rate) for r in runs]
    known = [v for _, v in values if v is not None]
    if not known:
        return None
    chart = trend_chart(values, "%", "deployment success rate over runs", 100.0 * DEPLOYMENT_SUCCESS_TARGET)
    target = f"above {100 * DEPLOYMENT_SUCCESS_TARGET:.0f} %"
    return TrendView("Deployment success rate", chart, f"{known[-1]:.1f} %", len(known), target)


def _artifact_views(artifacts: Sequence[Artifact], page_dir: Path, started: str) -> list[ArtifactView]:
    views = []
    for artifact in artifacts:
        path = Path(artifact.path)
        href = quote(os.path.relpath(path, page_dir).replace(os.sep, "/"))
        views.append(ArtifactView(artifact.kind, path.name, href, artifact.modified, artifact.modified >= started))
    return views


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("opsready.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["duration"] = format_duration
    return env


def render_html(
    result: RunResult,
    readiness: Readiness | None = None,
    history: History | None = None,
    page_dir: Path | None = None,
    quality: QualityReport | None = None,
) -> str:
    """The HTML report as text; every string is redacted first and escaped by the template."""
    clean = redact_result(result)
    runs = (history.runs if history is not None else ())[-TREND_RUNS:]
    views = [_scenario_view(i, s) for i, s in enumerate(clean.scenarios, start=1)]
    matrix: tuple[RunbookCoverage, ...] = coverage(clean)
    indicators: tuple[Kpi, ...] = kpis(clean)
    deployment = _deployment_trend(runs)
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            result=clean,
            ready=clean.verdict == "ready",
            counts=outcome_counts(clean),
            scenarios=views,
            kpis=indicators,
            readiness=readiness,
            matrix=matrix,
            ttr_trends=_ttr_trends(runs),
            deployment_trend=deployment,
            recent=list(reversed(runs))[:10],
            skipped=history.skipped if history is not None else (),
            artifacts=_artifact_views(clean.artifacts, page_dir or Path.cwd(), clean.started),
            quality=quality,
            version=__version__,
        )
    )


def write_html(
    result: RunResult,
    path: Path,
    readiness: Readiness | None = None,
    history: History | None = None,
    quality: QualityReport | None = None,
) -> None:
    """Write ``readiness.html`` (redacted) atomically; links to journals, comms and reviews are relative to it."""
    write_atomically(path, render_html(result, readiness, history, path.parent.resolve(), quality))
