"""Maintenance notices: Jinja2 templates in runbooks/templates/ rendered with the real window and outcome.

Four notices make the communication plan: ``announcement`` (ahead of the window, with the expected user impact),
``start``, ``completion`` (with the measured outcome) and ``extension`` (when the work overruns its plan). Templates
are checked before any maintenance starts: a syntax error or an unknown placeholder is reported as ``path:line``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from opsready.durations import format_duration
from opsready.maintenance.window import WindowChoice
from opsready.notices import Notices

KINDS = ("announcement", "start", "completion", "extension")
# every placeholder a notice may use; the sample fills them all so that validation renders each template once
PLACEHOLDERS: dict[str, str] = {
    "service": "orders service",
    "target": "sandbox",
    "procedure": "Database backup with verified restore",
    "runbook": "database-backup",
    "window_start": "2026-12-06 03:00 UTC",
    "window_end": "2026-12-06 05:00 UTC",
    "planned": "30 min 0 s",
    "expected_impact": "about 9,738 requests (0.4% of a day's traffic)",
    "reason": "",
    "outcome": "succeeded",
    "measured_duration": "4.2 s",
    "checks": "post: 5/5 checks passed",
    "details": "backup verified",
    "overrun": "10 min 0 s",
    "new_end": "2026-12-06 05:10 UTC",
    "contact": "the on-call engineer",
}


NOTICES = Notices("maintenance", KINDS, PLACEHOLDERS)


def template_path(templates_dir: Path, kind: str) -> Path:
    """Where the template of a notice kind lives."""
    return NOTICES.template_path(templates_dir, kind)


def check_templates(templates_dir: Path) -> None:
    """Render every notice once with sample values, so a broken template fails before maintenance starts."""
    NOTICES.check_templates(templates_dir)


def write_notice(templates_dir: Path, out_dir: Path, kind: str, name: str, values: Mapping[str, str]) -> Path:
    """Render a notice into ``out_dir`` as ``<UTC stamp>-<name>-<kind>.md``; returns its path."""
    return NOTICES.write(templates_dir, out_dir, kind, name, values)


def announcement_values(choice: WindowChoice, procedure: str, runbook: str, target: str) -> dict[str, str]:
    """The announcement's placeholders for a window found by the window finder."""
    best = choice.best
    return {
        "service": "orders service",
        "target": target,
        "procedure": procedure,
        "runbook": runbook,
        "window_start": best.start.strftime("%a %Y-%m-%d %H:%M UTC"),
        "window_end": best.end.strftime("%a %Y-%m-%d %H:%M UTC"),
        "planned": format_duration((best.end - best.start).total_seconds()),
        "expected_impact": f"about {best.expected_requests:,.0f} requests in the window "
        f"({choice.share_of_day:.1%} of an average day's traffic)",
        "contact": f"the on-call engineer named in runbook {runbook}",
    }
