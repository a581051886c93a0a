"""``readiness.md``: the human report of a run, fit for a CI job summary, rendered from a template in the package."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import jinja2

from opsready.durations import format_duration
from opsready.report.jsonreport import outcome_counts
from opsready.report.output import write_atomically
from opsready.report.redact import redact_result
from opsready.report.score import Readiness
from opsready.results import RunResult, ScenarioResult
from opsready.timeline import Measurement

TEMPLATE = "readiness.md.j2"
_BACKTICKS = re.compile(r"`+")


@dataclass(frozen=True)
class MeasuredRow:
    """One measured duration of one scenario, for the table of durations against targets."""

    scenario: str
    name: str
    measured: str
    target: str
    result: str


@dataclass(frozen=True)
class Failure:
    """A scenario that did not pass, with its message and a code fence that the message cannot close."""

    scenario: ScenarioResult
    fence: str


def cell(value: object) -> str:
    """Text made safe for a Markdown table cell: ``|`` escaped, line breaks folded."""
    text = " ".join(str(value).split())
    return text.replace("\\", "\\\\").replace("|", "\\|") or " "


def _fence(text: str) -> str:
    longest = max((len(m.group(0)) for m in _BACKTICKS.finditer(text)), default=0)
    return "`" * max(3, longest + 1)


def _row(scenario: ScenarioResult, m: Measurement) -> MeasuredRow:
    target = format_duration(m.target) if m.target is not None else "none"
    result = "no target" if m.target is None else ("ok" if m.ok else "MISSED")
    return MeasuredRow(scenario.name, m.name, format_duration(m.seconds), target, result)


def _summary(result: RunResult) -> str:
    counts = outcome_counts(result)
    ran = counts["total"] - counts["skipped"]
    if not ran:
        return "no scenario ran" if not counts["total"] else f"all {counts['total']} scenarios were skipped"
    parts = [f"{counts[k]} {k}" for k in ("passed", "failed", "error", "skipped") if counts.get(k)]
    parts += [f"{n} {k}" for k, n in counts.items() if k not in ("total", "passed", "failed", "error", "skipped") and n]
    return f"{counts['total']} scenarios: {', '.join(parts)}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("opsready.report", "templates"),
        autoescape=False,  # Markdown, not HTML; table cells go through the `cell` filter instead
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cell"] = cell
    env.filters["duration"] = format_duration
    return env


def render_markdown(result: RunResult, readiness: Readiness | None = None) -> str:
    """The Markdown report as text (with the readiness score when given); every string is redacted first."""
    clean = redact_result(result)
    rows = [_row(s, m) for s in clean.scenarios if s.timeline is not None for m in s.timeline.measurements]
    failures = [Failure(s, _fence(s.message)) for s in clean.scenarios if not s.ok]
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            result=clean,
            ready=clean.verdict == "ready",
            summary=_summary(clean),
            rows=rows,
            missed=sum(1 for r in rows if r.result == "MISSED"),
            failures=failures,
            skips=[s for s in clean.scenarios if s.outcome == "skipped"] if clean.kind == "gate" else [],
            readiness=readiness,
        )
    )


def write_markdown(result: RunResult, path: Path, readiness: Readiness | None = None) -> None:
    """Write ``readiness.md`` (redacted) atomically, creating the directory."""
    write_atomically(path, render_markdown(result, readiness))
