"""Who is paged when, and the checks that keep the escalation file honest against the classification.

:func:`simulate` answers "who is paged when, for a critical incident not acknowledged for 20 minutes": every step
whose ``after`` has passed while the incident is unacknowledged pages whoever covers the named rotation at that
moment (or the named contact). :func:`check` finds every problem at its line: a severity without an escalation path,
a contact that does not exist or cannot be reached the way a step says, a first page later than the severity's
response time, an escalation later than the classification promises, a rotation gap in the coming weeks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from opsready.durations import format_duration
from opsready.errors import Loc, ValidationError
from opsready.incident.classification import Classification
from opsready.incident.escalation import Channel, Escalation, Policy, Step
from opsready.incident.oncall import gaps, on_call
from opsready.spelling import did_you_mean


@dataclass(frozen=True)
class Page:
    """One notification the escalation sends."""

    after: float  # seconds after the incident was classified
    at: datetime
    step: int  # 1-based
    recipient: str  # the rotation or contact the step names
    contact: str  # who gets it ('' when nobody covers the rotation)
    name: str
    via: Channel
    address: str
    note: str

    def describe(self) -> str:
        """'+10 min 0 s (03:10 UTC) step 2: Blake Chen (blake) by page at +1 555 0101, on call in rotation ...'."""
        offset = f"+{format_duration(self.after)}" if self.after else "at once"
        when = f"{offset} ({self.at.strftime('%Y-%m-%d %H:%M')} UTC)"
        if not self.contact:
            return f"{when} step {self.step}: NOBODY ({self.note})"
        return f"{when} step {self.step}: {self.name} ({self.contact}) by {self.via} at {self.address}, {self.note}"


def _pages_for(escalation: Escalation, step: Step, index: int, at: datetime, after: float) -> list[Page]:
    pages = []
    for recipient in step.notify:
        rotation = escalation.rotation(recipient)
        if rotation is not None:
            covering = on_call(escalation, rotation, at)
            if covering is None:
                pages.append(Page(after, at, index, recipient, "", "", step.via, "", f"rotation '{recipient}' gap"))
                continue
            cid = covering.contact
            note = f"on call in rotation '{recipient}' (shift {covering.shift})"
            if covering.replaces:
                note += f", replacing {covering.replaces} who is unavailable"
        else:
            cid, note = recipient, "named directly"
        contact = escalation.contact(cid)
        name = contact.name if contact else cid
        address = (contact.reach(step.via) if contact else None) or "?"
        pages.append(Page(after, at, index, recipient, cid, name, step.via, address, note))
    return pages


def simulate(escalation: Escalation, severity: str, unacknowledged: float, start: datetime) -> tuple[Page, ...]:
    """The pages sent for an incident of ``severity`` classified at ``start`` and unacknowledged for that long."""
    policy = escalation.policy(severity)
    if policy is None:
        return ()
    pages: list[Page] = []
    for index, step in enumerate(policy.steps, start=1):
        if step.after > unacknowledged and step.after > 0:
            break  # acknowledged before this step was due
        at = start + timedelta(seconds=step.after)
        pages.extend(_pages_for(escalation, step, index, at, step.after))
    return tuple(pages)


def _reference_problems(escalation: Escalation) -> list[ValidationError]:
    contacts = [c.id for c in escalation.contacts]
    rotations = [r.id for r in escalation.rotations]
    problems = []
    for rotation in escalation.rotations:
        for shift in rotation.shifts:
            for member in shift.members:
                if escalation.contact(member) is None:
                    hint = did_you_mean(member, contacts)
                    message = f"rotation '{rotation.id}' names unknown contact '{member}'{hint}"
                    problems.append(ValidationError(message, shift.members_loc))
    for absence in escalation.absences:
        if escalation.contact(absence.contact) is None:
            hint = did_you_mean(absence.contact, contacts)
            problems.append(ValidationError(f"unknown contact '{absence.contact}'{hint}", absence.loc))
    for policy in escalation.policies:
        for step in policy.steps:
            for name in step.notify:
                problems.extend(_recipient_problems(escalation, name, step, contacts + rotations))
    return problems


def _recipient_problems(escalation: Escalation, name: str, step: Step, known: list[str]) -> list[ValidationError]:
    rotation = escalation.rotation(name)
    if rotation is None and escalation.contact(name) is None:
        message = f"'{name}' is neither a rotation nor a contact{did_you_mean(name, known)}"
        return [ValidationError(message, step.notify_loc)]
    members = {m for s in rotation.shifts for m in s.members} if rotation else {name}
    problems = []
    for member in sorted(members):
        contact = escalation.contact(member)
        if contact is not None and contact.reach(step.via) is None:
            has = ", ".join(ch for ch, _ in contact.channels)
            where = f" (in rotation '{name}')" if rotation else ""
            message = f"contact '{member}'{where} cannot be reached by {step.via} (has: {has})"
            problems.append(ValidationError(message, step.via_loc))
    return problems


def _timing_problems(policy: Policy, classification: Classification) -> list[ValidationError]:
    severity = classification.severity(policy.severity)
    first = policy.steps[0]
    problems = []
    if first.after > severity.response_time:
        problems.append(
            ValidationError(
                f"the first page for '{policy.severity}' goes out after {format_duration(first.after)}, later than "
                f"its response time of {format_duration(severity.response_time)}",
                first.loc,
            )
        )
    if len(policy.steps) < 2:
        problems.append(
            ValidationError(
                f"'{policy.severity}' never escalates beyond its first step; the classification promises "
                f"escalation {severity.describe_escalation()}",
                policy.loc,
            )
        )
    elif policy.steps[1].after > severity.escalation:
        problems.append(
            ValidationError(
                f"'{policy.severity}' escalates after {format_duration(policy.steps[1].after)}, later than the "
                f"{severity.describe_escalation()} the classification promises ({classification.path})",
                policy.steps[1].loc,
            )
        )
    return problems


def check(
    escalation: Escalation, classification: Classification, start: datetime, weeks: int = 4
) -> tuple[ValidationError, ...]:
    """Every problem of the escalation file against the classification and the coming ``weeks`` (line order)."""
    problems = _reference_problems(escalation)
    names = [s.name for s in classification.severities]
    for policy in escalation.policies:
        if policy.severity not in names:
            hint = did_you_mean(policy.severity, names)
            problems.append(ValidationError(f"escalation for unknown severity '{policy.severity}'{hint}", policy.loc))
        else:
            problems.extend(_timing_problems(policy, classification))
    for name in names:
        if escalation.policy(name) is None:
            message = f"severity '{name}' has no escalation path (every severity of {classification.path} needs one)"
            problems.append(ValidationError(message, escalation.policies_loc))
    if not any(p.loc and p.loc.line and "unknown contact" in p.message for p in problems):
        end = start + timedelta(weeks=weeks)
        for rotation in escalation.rotations:
            for gap in gaps(escalation, rotation, start, end)[:3]:
                problems.append(ValidationError(f"{gap.describe()} within the next {weeks} weeks", rotation.loc))
    return tuple(sorted(problems, key=lambda p: (p.loc or Loc("")).line))
