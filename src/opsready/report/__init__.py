"""Reports of a run (JSON and Markdown), read from result dataclasses only and redacted at the boundary."""

from __future__ import annotations

from opsready.report.jsonreport import SCHEMA_ID, load_schema, outcome_counts, readiness_dict, write_json
from opsready.report.markdown import render_markdown, write_markdown
from opsready.report.redact import redact, redact_result

__all__ = [
    "SCHEMA_ID",
    "load_schema",
    "outcome_counts",
    "readiness_dict",
    "redact",
    "redact_result",
    "render_markdown",
    "write_json",
    "write_markdown",
]
