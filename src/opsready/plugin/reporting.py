"""Turn the run's collected results into the reports, the history line and the readiness score.

The runbooks' ids, categories and steps and the files drills left (journals, comms, reviews) are put into the
:class:`~opsready.results.RunResult` by :mod:`opsready.drills.reporting`, which also publishes it: the report package
reads results only. This module says where a pytest run keeps those things.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from opsready.durations import format_duration
from opsready.plugin.state import RunState
from opsready.results import MeasuredKpi, RunResult, ScenarioResult

if TYPE_CHECKING:
    from opsready.config import Config, GateConfig
    from opsready.report import Published


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def build_result(config: pytest.Config, state: RunState) -> RunResult:
    """The run as frozen data."""
    markexpr = config.getoption("markexpr", "") or ""
    finished = datetime.now(tz=UTC)
    return RunResult(
        started=_iso(state.started_wall),
        finished=_iso(finished),
        duration=time.monotonic() - state.started,
        target=state.target,
        scenarios=tuple(state.results.values()),
        selection=f"-m {markexpr}" if markexpr else "all",
        kind=config.getoption("opsready_kind", "drill") or "drill",
        run_id=f"{finished:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}",
        training_releases=state.training_releases,
        measured_kpis=state.measured_kpis,
    )


def _suite(config: pytest.Config) -> tuple[Path, Config | None]:
    """The suite's directory (where runbooks/ lives) and its configuration, when one can be loaded."""
    from opsready.config import find_config, load_config
    from opsready.errors import OpsreadyError

    option = config.getoption("opsready_config", None)
    try:
        suite = load_config(Path(option) if option else find_config(config.rootpath))
    except OpsreadyError:
        return config.rootpath, None  # reports still get written; they just know no runbooks or artifact dirs
    return suite.root, suite


def artifact_dirs(directory: Path, suite: Config | None) -> list[tuple[str, Path]]:
    """Where drills leave journals, comms and reviews: beside the reports, and where the configuration says."""
    found = [("journal", directory / "journals"), ("comms", directory / "comms"), ("review", directory / "reviews")]
    if suite is not None:
        found += [
            ("journal", suite.resolve(suite.reports_dir) / "journals"),
            ("comms", suite.resolve(suite.maintenance.comms_dir)),
            ("review", suite.resolve(suite.deployment.reviews_dir)),
        ]
    return found


def mark_expected_skips(result: RunResult, gate: GateConfig) -> RunResult:
    """The run with each skipped scenario that ``gate.expected_skips`` names carrying the configured reason."""

    def marked(scenario: ScenarioResult) -> ScenarioResult:
        reason = gate.expected_reason(scenario.name, scenario.nodeid)
        return replace(scenario, expected_skip=reason) if scenario.outcome == "skipped" and reason else scenario

    return replace(result, scenarios=tuple(marked(s) for s in result.scenarios))


def write_reports(config: pytest.Config, state: RunState, directory: Path) -> Published:
    """Record the run in the history and write readiness.json, .md and .html into ``directory``."""
    from opsready.drills.reporting import enrich, publish_run

    root, suite = _suite(config)
    result = build_result(config, state)
    if suite is not None:
        result = mark_expected_skips(result, suite.gate)
    result = enrich(result, root, artifact_dirs(directory.resolve(), suite))
    return publish_run(result, directory, min_score=config.getoption("opsready_min_score", None), root=root)


def check_options(config: pytest.Config) -> None:
    """A minimum score lies in 0-100 and needs the history, which lives with the reports (checked before any test)."""
    minimum = config.getoption("opsready_min_score", None)
    if minimum is None:
        return
    if not 0 <= minimum <= 100:
        raise pytest.UsageError(f"--opsready-min-score must lie between 0 and 100, not {minimum:g}")
    if not config.getoption("opsready_reports", None):
        raise pytest.UsageError("--opsready-min-score needs --opsready-reports DIR (the run history is kept there)")


def finish_reports(session: pytest.Session, state: RunState, directory: Path) -> None:
    """Write the reports; fail the session when the readiness score is below the minimum (like --cov-fail-under)
    or when a gate's verdict is not ready (a skip nobody expected), so that pytest's exit code agrees with it."""
    published = write_reports(session.config, state, directory)
    state.report_lines = tuple(score_lines(published))
    not_ready = published.result.kind == "gate" and published.result.verdict != "ready"
    failed = not published.readiness.meets_minimum or not_ready
    if failed and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def kpi_line(measured: MeasuredKpi) -> str:
    """'availability (prometheus): 99.95 % over 12 min 3 s, result >= 0.999: met' for the terminal summary."""
    from opsready.report.kpi import measured_kpi

    row = measured_kpi(measured)
    return f"{row.name}: {row.value} over {format_duration(measured.window)}, {row.target}: {row.status}"


def score_lines(published: Published) -> list[str]:
    """The score for the terminal summary: overall (against the minimum) and per category."""
    readiness = published.readiness
    line = f"readiness score {readiness.overall:.1f}/100"
    if readiness.min_score is not None:
        verdict = "met" if readiness.meets_minimum else "BELOW MINIMUM: the run fails"
        line += f" (minimum {readiness.min_score:.1f}: {verdict})"
    categories = ", ".join(f"{c.category} {c.score:.0f}" for c in readiness.categories)
    lines = [line, categories]
    result = published.result
    lines += [f"skipped, not expected (the gate is not ready): {s.name}" for s in result.unexpected_skips]
    lines += [f"skipped as expected: {s.name} ({s.expected_skip})" for s in result.scenarios if s.expected_skip]
    lines += [kpi_line(k) for k in result.measured_kpis]
    return [*lines, f"reports: {published.files[-1]}"]
