"""Post-incident review drafts: the standard postmortem shape, filled with everything a drill measured.

Sections: summary, impact (with durations), timeline, detection and classification, escalation, communications,
root cause, what went well, what went wrong, runbook steps skipped or deviated from in a game day (proposed updates,
each at its file and line), action items with owners. What a person must add is marked with
:data:`TO_COMPLETE`; everything else comes from the :class:`~opsready.incident.drill.DrillResult`. Action items are
Markdown task items (``- [ ] ... (owner: X, due: YYYY-MM-DD)``) that ``opsready incident actions`` lists.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from opsready.adherence import Adherence
from opsready.durations import format_duration
from opsready.incident.actions import TO_COMPLETE
from opsready.incident.drill import DrillResult
from opsready.timeline import Measurement

FOLLOW_UP_DAYS = 7


def _human(who: str, prompt: str) -> str:
    return f"> {TO_COMPLETE} ({who}): {prompt}"


def _verdict(m: Measurement) -> str:
    return "met" if m.ok else "MISSED"


def _target(m: Measurement) -> str:
    return format_duration(m.target) if m.target is not None else "-"


def _summary(r: DrillResult) -> list[str]:
    detect, ack = r.measurement("time to detect"), r.measurement("time to acknowledge")
    recover = r.measurement("time to recover")
    actions = ", then ".join(f"{o.action.describe()} ({o.detail})" for o in r.mitigation)
    evidence = "; ".join(e.criterion.condition() for e in r.detection.verdict.deciding)
    text = (
        f"Drill on target `{r.target}`: {r.plan.fault}. The monitor detected it after "
        f"{format_duration(detect.seconds) if detect else 'n/a'} and classified it as **{r.severity.name}** "
        f"({r.severity.description}) because {evidence}. {r.responder} acknowledged after "
        f"{format_duration(ack.seconds) if ack else 'n/a'}; the runbook's mitigation ran: {actions}. "
        f"The service was back in steady state {format_duration(recover.seconds) if recover else 'n/a'} "
        "after the fault began."
    )
    return [text, "", _human("incident owner", "what happened, in one sentence a customer would understand.")]


def _impact(r: DrillResult) -> list[str]:
    lines = [f"- Users: {r.impact.describe(r.t0) if r.impact else 'not measured (no background traffic)'}"]
    if r.impact and r.impact.began is not None and r.impact.ended is not None:
        lines.append(f"- User impact lasted {format_duration(max(0.0, r.impact.ended - r.impact.began))}")
    lines += ["", "| measurement | measured | target | verdict |", "| --- | --- | --- | --- |"]
    lines += [f"| {m.name} | {format_duration(m.seconds)} | {_target(m)} | {_verdict(m)} |" for m in r.measurements]
    lines += ["", f"- Alerting: {r.alerting}"]  # measured (its rows above) or why it was not: never assumed
    lines += ["", _human("incident owner", "customers and orders affected, revenue or SLA consequences.")]
    return lines


def _timeline(r: DrillResult) -> list[str]:
    lines = ["| at | UTC | event | detail | by |", "| --- | --- | --- | --- | --- |"]
    for e in r.timeline.events:
        detail = e.detail.replace("|", "/").replace("\n", " ")
        lines.append(f"| +{e.at:.2f} s | {e.wall} | {e.kind} | {detail} | {e.source} |")
    return lines


def _classification(r: DrillResult) -> list[str]:
    declared = r.plan.severity
    same = "matches" if declared == r.severity.name else f"does NOT match the runbook's {declared}"
    lines = [
        f"- Classified **{r.severity.name}**: {same} (runbook `{r.plan.incident}` declares {declared}).",
        "- Deciding evidence:",
        *[f"  - {e.describe()}" for e in r.detection.verdict.deciding],
    ]
    others = [e for e in r.detection.verdict.matched if e not in r.detection.verdict.deciding]
    if others:
        lines += ["- Also matched:", *[f"  - {e.describe()}" for e in others]]
    lines.append(f"- Before the fault: {r.baseline.summary()} ({len(r.baseline.observations)} observations).")
    return lines


def _escalation(r: DrillResult) -> list[str]:
    lines = [f"Paged before {r.responder} ({r.responder_source}) acknowledged:", ""]
    lines += [f"- {p.describe()}" for p in r.pages] or ["- nobody (no escalation step at once)"]
    lines += [
        "",
        f"Had nobody acknowledged for 20 minutes (a {r.severity.name} incident), the escalation would page:",
        "",
    ]
    lines += [f"- {p.describe()}" for p in r.what_if] or ["- nobody"]
    return lines


def _comms(r: DrillResult) -> list[str]:
    lines = []
    for n in r.notices:
        lines.append(f"- {n.kind}: `{n.path}`" + (f" (webhook: {n.webhook})" if n.webhook else ""))
    return lines or ["- none were sent"]


def _went_well(r: DrillResult) -> list[str]:
    lines = [f"- {m.name} {format_duration(m.seconds)}, within its {_target(m)} target" for m in r.measurements if m.ok]
    if r.plan.severity == r.severity.name:
        lines.append(f"- Classified as the runbook's severity ({r.severity.name}) from observations alone")
    lines += ["", _human("team", "what helped: alerts, runbook steps, tools, people.")]
    return lines


def _went_wrong(r: DrillResult) -> list[str]:
    lines = [f"- {m.describe()}" for m in r.measurements if not m.ok]
    if r.plan.severity != r.severity.name:
        lines.append(f"- Classified {r.severity.name}, but the runbook declares {r.plan.severity}")
    if r.impact is not None and r.impact.ended is not None:
        recovered = r.recovery.recovered_at
        if r.impact.ended > recovered:
            lines.append(f"- Users still felt impact {r.impact.ended - recovered:.1f} s after the monitor saw recovery")
    lines = lines or ["- Nothing the drill measured went wrong."]
    return [*lines, "", _human("team", "what hurt: confusion, missing access, slow steps, wrong assumptions.")]


def _actions(r: DrillResult, today: datetime) -> list[str]:
    due = (today + timedelta(days=FOLLOW_UP_DAYS)).date().isoformat()
    owner = r.plan.owner
    items = [
        f"- [ ] Review runbook `{r.plan.incident}` against this timeline and update its last_reviewed "
        f"(owner: {owner}, due: {due})"
    ]
    items += [
        f"- [ ] Find out why the {m.name} missed its target ({m.describe()}) (owner: {owner}, due: {due})"
        for m in r.measurements
        if not m.ok
    ]
    if r.plan.severity != r.severity.name:
        items.append(
            f"- [ ] Reconcile the classification criteria with runbook `{r.plan.incident}` "
            f"({r.severity.name} observed, {r.plan.severity} declared) (owner: {owner}, due: {due})"
        )
    return [*items, "", _human("team", "add your own action items above, one task line each with owner and due.")]


def _lessons(r: DrillResult, adherence: Adherence, today: datetime) -> list[str]:
    """Each skipped or deviated step as a proposed update of the file and line it is written at (an action item)."""
    due = (today + timedelta(days=FOLLOW_UP_DAYS)).date().isoformat()
    lines = [
        f"{adherence.followed} of {len(adherence.planned)} planned steps and checkpoints were confirmed done; "
        f"{len(adherence.planned) - len(adherence.confirmed)} were not confirmed.",
        "",
    ]
    for c in adherence.lessons:
        note = f": {c.note}" if c.note else ""
        lines.append(
            f"- [ ] Update {c.item.describe()} at `{c.item.where()}` ({c.status} by {c.person}, {c.role}, {c.at}"
            f'{note}): "{c.item.text}" (owner: {r.plan.owner}, due: {due})'
        )
    if not adherence.lessons:
        lines.append("- No step was skipped or deviated from.")
    return lines


def render_review(r: DrillResult, now: datetime | None = None, adherence: Adherence | None = None) -> str:
    """The review draft as Markdown (with the proposed runbook updates when ``adherence`` was recorded)."""
    today = now or datetime.now(tz=UTC)
    sections: list[tuple[str, list[str]]] = [
        ("Summary", _summary(r)),
        ("Impact", _impact(r)),
        ("Timeline", _timeline(r)),
        ("Detection and classification", _classification(r)),
        ("Escalation", _escalation(r)),
        ("Communications", _comms(r)),
        (
            "Root cause",
            [
                f"- Drill: the fault was injected on purpose ({r.plan.fault}), rehearsing experiment "
                f"`{r.plan.experiment}`.",
                "",
                _human("incident owner", "for a real incident, the chain of causes and the trigger."),
            ],
        ),
        ("What went well", _went_well(r)),
        ("What went wrong", _went_wrong(r)),
    ]
    if adherence is not None:
        sections.append(("Runbook steps skipped or deviated from (proposed updates)", _lessons(r, adherence, today)))
    sections.append(("Action items", _actions(r, today)))
    head = [
        f"# Post-incident review (draft): {r.plan.title}",
        "",
        f"> Draft written by opsready on {today.strftime('%Y-%m-%d %H:%M UTC')} from the drill's measurements. "
        "Sections marked TO COMPLETE need a person; everything else was measured.",
        "",
        f"- Incident: `{r.plan.incident}` (runbook `{r.plan.runbook}`, owner {r.plan.owner})",
        f"- Kind: drill on target `{r.target}`; experiment `{r.plan.experiment}`",
        f"- Severity: {r.severity.name}: {r.severity.description} (response {format_duration(r.severity.response_time)}"
        f", escalation {r.severity.describe_escalation()})",
        f"- Responder: {r.responder} ({r.responder_source})",
        "- Status: draft",
    ]
    body = [line for title, lines in sections for line in ("", f"## {title}", "", *lines)]
    return "\n".join(head + body) + "\n"


def write_review(
    r: DrillResult,
    directory: Path,
    now: datetime | None = None,
    *,
    adherence: Adherence | None = None,
    path: Path | None = None,
) -> Path:
    """Write the draft to ``directory`` as ``review-<incident id>-<UTC stamp>.md`` (or over ``path``, the draft of
    the same drill written before its steps were confirmed); returns its path."""
    today = now or datetime.now(tz=UTC)
    directory.mkdir(parents=True, exist_ok=True)
    path = path or directory / f"review-{r.plan.incident}-{today.strftime('%Y%m%dT%H%M%S%fZ')}.md"
    path.write_text(render_review(r, today, adherence), encoding="utf-8")
    return path
