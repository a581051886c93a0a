"""The runbook quality metrics of the operations story, computed, shown as text and as JSON.

``opsready runbooks report`` prints them and readiness.html shows them in its "Runbook quality" section; each
metric's formula is in docs/reports.md and beside its value. A metric without data says "no data" and why.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from opsready.report.quality_model import QualityInputs, QualityReport
from opsready.report.quality_procedures import accuracy, completeness, currency, usability
from opsready.report.quality_response import adherence, improvement, mttr, training

QUALITY_SCHEMA = "opsready.quality/1"


def quality_report(inputs: QualityInputs) -> QualityReport:
    """The eight metrics in the story's order: procedure quality, then operational efficiency."""
    metrics = tuple(
        f(inputs) for f in (completeness, accuracy, usability, currency, mttr, adherence, training, improvement)
    )
    return QualityReport(inputs.today, metrics)


def quality_dict(report: QualityReport) -> dict[str, Any]:
    """The report as JSON data (``number`` is null when there is no data)."""
    return {
        "schema": QUALITY_SCHEMA,
        "today": report.today.isoformat(),
        "metrics": [{**asdict(m), "details": list(m.details), "has_data": m.has_data} for m in report.metrics],
    }


def quality_lines(report: QualityReport, details: bool = True) -> list[str]:
    """The report as plain text lines."""
    lines = [f"Runbook quality as of {report.today.isoformat()}"]
    for m in report.metrics:
        lines += ["", f"{m.name}: {m.value}", f"  evidence: {m.evidence}", f"  formula: {m.formula}"]
        if details:
            lines += [f"  - {d}" for d in m.details]
    return lines
