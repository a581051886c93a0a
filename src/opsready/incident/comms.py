"""Incident communications: Jinja2 templates in runbooks/templates/ rendered with the real timeline values.

Three notices make an incident's communication: ``initial`` (once it is classified), ``update`` (once mitigated) and
``resolution`` (once recovered). Templates are checked before a drill touches the target: a syntax error, an unknown
placeholder or a missing file is a ``path:line`` error. Every notice is written to ``reports/comms/`` and, only when a
webhook URL is given, also posted to a Slack-compatible webhook (:mod:`.webhook`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from opsready.errors import Loc, ValidationError

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


def template_path(templates_dir: Path, kind: str) -> Path:
    """Where the template of a notice kind lives."""
    return templates_dir / f"incident-{kind}.md.j2"


def _line_of(path: Path, name: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if re.search(r"\b" + re.escape(name) + r"\b", line):
            return number
    return 0


def render(templates_dir: Path, kind: str, values: Mapping[str, str]) -> str:
    """Render one notice; template mistakes are :class:`ValidationError`\\ s at their line."""
    import jinja2

    if kind not in KINDS:
        raise ValidationError(f"unknown notice '{kind}' (known: {', '.join(KINDS)})")
    path = template_path(templates_dir, kind)
    if not path.is_file():
        raise ValidationError(f"incident notice template not found: {path}", Loc(str(path)))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # plain-text notices, not HTML
    )
    try:
        return str(env.get_template(path.name).render(**values))
    except jinja2.TemplateSyntaxError as exc:
        raise ValidationError(f"template syntax error: {exc.message}", Loc(str(path), exc.lineno or 0)) from None
    except jinja2.UndefinedError as exc:
        match = re.search(r"'(\w+)' is undefined", str(exc))
        line = _line_of(path, match.group(1)) if match else 0
        known = ", ".join(sorted(PLACEHOLDERS))
        raise ValidationError(f"{exc.message} (placeholders: {known})", Loc(str(path), line)) from None
    except jinja2.TemplateError as exc:
        raise ValidationError(f"template error: {exc.message}", Loc(str(path))) from None


def check_templates(templates_dir: Path) -> None:
    """Render every notice once with sample values, so a broken template fails before a drill starts."""
    for kind in KINDS:
        render(templates_dir, kind, PLACEHOLDERS)


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
        text = render(self.templates_dir, kind, {**dict.fromkeys(PLACEHOLDERS, "n/a"), **values})
        self.out_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.out_dir / f"{stamp}-{name}-{kind}.md"
        path.write_text(text, encoding="utf-8")
        outcome = ""
        if self.webhook_url:
            from opsready.incident.webhook import post_notice

            outcome = post_notice(self.webhook_url, text, kind)
        notice = SentNotice(kind, path, text, outcome)
        self.sent.append(notice)
        return notice
