"""Reports of a run (JSON, Markdown, HTML), the run history and the readiness score; read from result dataclasses
only and redacted at the boundary."""

from __future__ import annotations

from opsready.report.artifacts import find_artifacts
from opsready.report.history import History, PastRun, append_history, read_history, summarize
from opsready.report.html import render_html, write_html
from opsready.report.jsonreport import SCHEMA_ID, load_schema, outcome_counts, readiness_dict, write_json
from opsready.report.kpi import Kpi, kpis
from opsready.report.markdown import render_markdown, write_markdown
from opsready.report.publish import Published, publish
from opsready.report.redact import redact, redact_result
from opsready.report.score import Readiness, credit, readiness_score

__all__ = [
    "SCHEMA_ID",
    "History",
    "Kpi",
    "PastRun",
    "Published",
    "Readiness",
    "append_history",
    "credit",
    "find_artifacts",
    "kpis",
    "load_schema",
    "outcome_counts",
    "publish",
    "read_history",
    "readiness_dict",
    "readiness_score",
    "redact",
    "redact_result",
    "render_html",
    "render_markdown",
    "summarize",
    "write_html",
    "write_json",
    "write_markdown",
]
