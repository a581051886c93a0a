"""Publish a run: record it in the history, score readiness, write readiness.json, .md and .html together.

The one entry point for whoever produces a :class:`~opsready.results.RunResult`: the pytest plugin after a gate or a
drill, and the game-day runner after a game day. The run is appended to the history before scoring, so the score
and the trends include it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from opsready.report.history import HISTORY_FILE, History, append_history, read_history, summarize
from opsready.report.html import write_html
from opsready.report.jsonreport import write_json
from opsready.report.markdown import write_markdown
from opsready.report.quality_model import QualityReport
from opsready.report.redact import redact_result
from opsready.report.score import Readiness, parse_time, readiness_score
from opsready.results import RunResult

JSON_FILE, MARKDOWN_FILE, HTML_FILE = "readiness.json", "readiness.md", "readiness.html"


@dataclass(frozen=True)
class Published:
    """What publishing wrote and computed."""

    result: RunResult
    readiness: Readiness
    history: History
    files: tuple[Path, ...]


def publish(
    result: RunResult,
    directory: Path,
    min_score: float | None = None,
    history_file: Path | None = None,
    quality: Callable[[History], QualityReport] | None = None,
) -> Published:
    """Append the run to the history, score readiness at the run's end, write the three reports into ``directory``;
    ``quality`` measures the runbooks over the history for the HTML report's runbook quality section."""
    clean = redact_result(result)
    directory.mkdir(parents=True, exist_ok=True)
    history_path = history_file or directory / HISTORY_FILE
    append_history(history_path, summarize(clean))
    history = read_history(history_path)
    readiness = readiness_score(history.runs, clean.runbooks, parse_time(clean.finished), min_score)
    files = (directory / JSON_FILE, directory / MARKDOWN_FILE, directory / HTML_FILE)
    write_json(clean, files[0], readiness)
    write_markdown(clean, files[1], readiness)
    write_html(clean, files[2], readiness, history, quality(history) if quality is not None else None)
    return Published(clean, readiness, history, files)
