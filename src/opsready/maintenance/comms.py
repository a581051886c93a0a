"""Maintenance notices: Jinja2 templates in runbooks/templates/ rendered with the real window and outcome.

Four notices make the communication plan: ``announcement`` (ahead of the window, with the expected user impact),
``start``, ``completion`` (with the measured outcome) and ``extension`` (when the work overruns its plan). Templates
are checked before any maintenance starts: a syntax error or an unknown placeholder is reported as ``path:line``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from opsready.durations import format_duration
from opsready.errors import Loc, ValidationError
from opsready.maintenance.window import WindowChoice

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


def template_path(templates_dir: Path, kind: str) -> Path:
    """Where the template of a notice kind lives."""
    return templates_dir / f"maintenance-{kind}.md.j2"


def _environment(templates_dir: Path) -> object:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # plain-text notices, not HTML
    )


def render_text(templates_dir: Path, kind: str, values: Mapping[str, str]) -> str:
    """Render one notice; template mistakes become a :class:`ValidationError` at their line."""
    import jinja2

    if kind not in KINDS:
        raise ValidationError(f"unknown notice '{kind}' (known: {', '.join(KINDS)})")
    path = template_path(templates_dir, kind)
    if not path.is_file():
        raise ValidationError(f"notice template not found: {path}", Loc(str(path)))
    env = _environment(templates_dir)
    try:
        template = env.get_template(path.name)  # type: ignore[attr-defined]
        return str(template.render(**values))
    except jinja2.TemplateSyntaxError as exc:
        raise ValidationError(f"template syntax error: {exc.message}", Loc(str(path), exc.lineno or 0)) from None
    except jinja2.UndefinedError as exc:
        known = ", ".join(sorted(PLACEHOLDERS))
        raise ValidationError(f"{exc.message} (placeholders: {known})", Loc(str(path), _line_of(path, exc))) from None


def _line_of(path: Path, exc: Exception) -> int:
    match = re.search(r"'(\w+)' is undefined", str(exc))
    if match is None:
        return 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if re.search(r"\b" + match.group(1) + r"\b", line):
            return number
    return 0


def check_templates(templates_dir: Path) -> None:
    """Render every notice once with sample values, so a broken template fails before maintenance starts."""
    for kind in KINDS:
        render_text(templates_dir, kind, PLACEHOLDERS)


def write_notice(templates_dir: Path, out_dir: Path, kind: str, name: str, values: Mapping[str, str]) -> Path:
    """Render a notice into ``out_dir`` as ``<UTC stamp>-<name>-<kind>.md``; returns its path."""
    # a placeholder the caller has no value for says so, never shows a sample value as if it were measured
    text = render_text(templates_dir, kind, {**dict.fromkeys(PLACEHOLDERS, "n/a"), **values})
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = out_dir / f"{stamp}-{name}-{kind}.md"
    path.write_text(text, encoding="utf-8")
    return path


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
