"""A run's result with what the suite knows beside it (its runbooks, the files drills left), then published.

The report package reads results only and the runbooks package knows nothing of reports: a run meets both here,
whether it is a pytest run (the plugin's reporting) or a game day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from opsready.drills.quality import QualitySources, gather
from opsready.report import History, Published, find_artifacts, publish
from opsready.report.quality import quality_report
from opsready.report.quality_model import QualityReport
from opsready.report.score import parse_time
from opsready.results import RunResult
from opsready.runbooks import runbook_infos


def with_runbooks(result: RunResult, root: Path) -> RunResult:
    """The result naming the runbooks in ``root/runbooks`` (ids, categories, steps)."""
    return replace(result, runbooks=runbook_infos(root / "runbooks"))


def enrich(result: RunResult, root: Path, artifact_dirs: Iterable[tuple[str, Path]]) -> RunResult:
    """The result with the suite's runbooks and the artifacts (journals, comms, reviews) found in ``artifact_dirs``."""
    return replace(with_runbooks(result, root), artifacts=find_artifacts(artifact_dirs))


def publish_run(
    result: RunResult, directory: Path, min_score: float | None = None, root: Path | None = None
) -> Published:
    """Record the run in the history and write readiness.json, .md and .html into ``directory``; with the suite's
    ``root``, the HTML report measures its runbooks' quality too (as of the run's end, over the history)."""
    if root is None:
        return publish(result, directory, min_score=min_score)
    try:
        day = parse_time(result.finished).date()
    except ValueError:
        day = datetime.now(tz=UTC).date()

    def quality(history: History) -> QualityReport:
        return quality_report(gather(QualitySources(root), day, runs=history.runs))

    return publish(result, directory, min_score=min_score, quality=quality)
