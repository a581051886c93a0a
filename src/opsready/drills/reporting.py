"""A run's result with what the suite knows beside it (its runbooks, the files drills left), then published.

The report package reads results only and the runbooks package knows nothing of reports: a run meets both here,
whether it is a pytest run (the plugin's reporting) or a game day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from opsready.report import Published, find_artifacts, publish
from opsready.results import RunResult
from opsready.runbooks import runbook_infos


def with_runbooks(result: RunResult, root: Path) -> RunResult:
    """The result naming the runbooks in ``root/runbooks`` (ids, categories, steps)."""
    return replace(result, runbooks=runbook_infos(root / "runbooks"))


def enrich(result: RunResult, root: Path, artifact_dirs: Iterable[tuple[str, Path]]) -> RunResult:
    """The result with the suite's runbooks and the artifacts (journals, comms, reviews) found in ``artifact_dirs``."""
    return replace(with_runbooks(result, root), artifacts=find_artifacts(artifact_dirs))


def publish_run(result: RunResult, directory: Path, min_score: float | None = None) -> Published:
    """Record the run in the history and write readiness.json, .md and .html into ``directory``."""
    return publish(result, directory, min_score=min_score)
