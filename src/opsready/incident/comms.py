"""Incident communications: Jinja2 templates in runbooks/templates/ rendered with the real timeline values.

Three notices make an incident's communication: ``initial`` (once it is classified), ``update`` (once mitigated) and
``resolution`` (once recovered). Templates are checked before a drill touches the target: a syntax error, an unknown
placeholder or a missing file is a ``path:line`` error. Every notice is written to ``reports/comms/`` and, only when a
webhook URL is given, also posted to a Slack-compatible webhook (:mod:`.webhook`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from opsready.notices import Notices

KINDS = ("initial", "update", "resolution")
# every placeholder a notice may use; validation renders each template once with these samples
PLACEHOLDERS: dict[str, str] = {
    "drill": "DRILL",
    "incident": "incident-service-down",
    "title": "Service down",
    "service": "orders service",
    "target": "sandbox",
    "severity": "critical",
    "severity_description": "System completely unavailable",
    "response_time": "15 min 0 s",
    "escalation": "immediate",
    "status": "investigating",
    "started": "2026-11-27 04:15:35 UTC",
    "detected": "2026-11-27 04:15:36 UTC",
    "evidence": "critical: readiness failing; observed readiness: FAILED (ConnectError)",
    "runbook": "runbooks/incidents/service-down.md",
    "responder": "automatic responder (CI)",
    "acknowledged": "2026-11-27 04:15:37 UTC",
    "actions": "restart api: started 'api' (it was STOPPED)",
    "mitigated": "2026-11-27 04:15:39 UTC",
    "recovered": "2026-11-27 04:15:41 UTC",
    "time_to_detect": "1.1 s",
    "time_to_acknowledge": "0 ms",
    "time_to_mitigate": "2.3 s",
    "time_to_recover": "5.9 s",
    "user_impact": "42 of 310 requests failed",
    "paged": "Casey Diaz (primary, page)",
    "next_update": "within 15 min 0 s",
    "contact": "the on-call engineer of the primary rotation",
}


NOTICES = Notices("incident", KINDS, PLACEHOLDERS)


def template_path(templates_dir: Path, kind: str) -> Path:
    """Where the template of a notice kind lives."""
    return NOTICES.template_path(templates_dir, kind)


def render(templates_dir: Path, kind: str, values: Mapping[str, str]) -> str:
    """Render one notice; template mistakes are :class:`~opsready.errors.ValidationError`\\ s at their line."""
    return NOTICES.render(templates_dir, kind, values)


def check_templates(templates_dir: Path) -> None:
    """Render every notice once with sample values, so a broken template fails before a drill starts."""
    NOTICES.check_templates(templates_dir)


@dataclass(frozen=True)
class SentNotice:
    """A notice as rendered, where it was written, and what the webhook said (if one was used)."""

    kind: str
    path: Path
    text: str
    webhook: str = ""


class Communicator:
    """Renders notices into a directory and, when given a webhook URL, posts them there too."""

    def __init__(self, templates_dir: Path, out_dir: Path, webhook_url: str | None = None) -> None:
        self.templates_dir = templates_dir
        self.out_dir = out_dir
        self.webhook_url = webhook_url
        self.sent: list[SentNotice] = []

    def check(self) -> None:
        """Validate the templates (before anything touches a target)."""
        check_templates(self.templates_dir)

    def send(self, kind: str, name: str, values: Mapping[str, str]) -> SentNotice:
        """Render ``kind`` with ``values`` (missing ones say 'n/a', never a sample), write it, post it if configured."""
        path = NOTICES.write(self.templates_dir, self.out_dir, kind, name, values)
        text = path.read_text(encoding="utf-8")
        outcome = ""
        if self.webhook_url:
            from opsready.incident.webhook import post_notice

            outcome = post_notice(self.webhook_url, text, kind)
        notice = SentNotice(kind, path, text, outcome)
        self.sent.append(notice)
        return notice
