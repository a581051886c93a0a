"""Procedure quality: completeness, accuracy, usability and currency of the runbooks (formulas in docs/reports.md)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from opsready.report.quality_model import Metric, QualityInputs, RunbookFacts, StepText, no_data, percent

# a code span or fenced line is a command when it starts with a program name followed by arguments
_COMMAND = re.compile(r"[a-z][a-z0-9_.-]*\s+\S")
_SPAN = re.compile(r"`([^`\n]+)`")
_FENCE = re.compile(r"\s*(`{3,}|~{3,})")
_WORD = re.compile(r"[A-Za-z0-9][\w'.%/-]*")
# phrases that state what the reader should see once the step is done
_OUTCOME = re.compile(
    r"\b(expected outcome|validation point|expect(?:s|ed)?|should|shows?|until|pass(?:es)?|succeeds?|"
    r"confirms?|returns?|reports?|must (?:be|show|read|answer))\b",
    re.IGNORECASE,
)
FORECAST_DAYS = (0, 30, 60)


def _run_day(finished: str) -> date | None:
    try:
        return date.fromisoformat(finished[:10])
    except ValueError:
        return None


def commands(step: StepText) -> int:
    """Commands in a step: fenced lines and inline code spans that start with a program name and an argument."""
    count = 0
    fenced = False
    for line in step.text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            text = line.strip()
            count += bool(text) and not text.startswith("#") and bool(_COMMAND.match(text.lstrip("$ ")))
        else:
            count += sum(1 for span in _SPAN.findall(line) if _COMMAND.match(span.strip().lstrip("$ ")))
    return count


def words(step: StepText) -> int:
    """Words of a step's text outside code blocks (code spans count as words)."""
    count = 0
    fenced = False
    for line in step.text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            count += len(_WORD.findall(line))
    return count


def has_outcome(step: StepText) -> bool:
    """Whether the step says what the reader should see when it is done."""
    return _OUTCOME.search(step.text) is not None


def completeness(inputs: QualityInputs) -> Metric:
    """Items of the checked list covered by an existing runbook, and by a drilled one."""
    key, name = "completeness", "Completeness"
    formula = "items of runbooks/coverage.yaml covered by a runbook / all items; also drilled (@runbook:<id>) / all"
    items = inputs.coverage
    if not items:
        return no_data(key, name, formula, "no checked list (runbooks/coverage.yaml) or it lists nothing")
    known = {r.id for r in inputs.runbooks}
    covered = [i for i in items if any(r in known for r in i.runbooks)]
    drilled = [i for i in covered if any(r in known and r in inputs.drilled for r in i.runbooks)]
    details = tuple(f"not covered: {i.kind} '{i.id}' ({i.title}) at {i.loc}" for i in items if i not in covered)
    details += tuple(f"covered, never drilled: {i.kind} '{i.id}' at {i.loc}" for i in covered if i not in drilled)
    value = f"covered {percent(len(covered), len(items))}; drilled {percent(len(drilled), len(items))}"
    evidence = f"{len(items)} item(s) of the checked list, {len(known)} runbook(s)"
    return Metric(key, name, value, len(covered) / len(items), formula, evidence, details)


def accuracy(inputs: QualityInputs) -> Metric:
    """Runbook steps that a passing scenario verified within the window."""
    key, name = "accuracy", "Accuracy"
    days = inputs.accuracy_days
    formula = f"steps tagged @runbook:<id>:<step> on a scenario that passed in the last {days} days / all steps"
    steps = {(r.id, s.number) for r in inputs.runbooks for s in r.steps}
    if inputs.commands is None:
        checked = "runbook commands not checked against the CLI here (opsready runbooks report checks them)"
    else:
        good, total = inputs.commands
        checked = f"{good} of {total} runbook commands pass the CLI check"
    if not steps:
        return no_data(key, name, formula, "no runbook has numbered steps")
    since = inputs.today - timedelta(days=days)
    recent = [run for run in inputs.runs if (day := _run_day(run.finished)) is not None and since <= day]
    if not recent:
        return no_data(key, name, formula, f"no recorded run in the last {days} days; {checked}")
    verified = {
        (ref.runbook, ref.step)
        for run in recent
        for s in run.scenarios
        if s.outcome == "passed"
        for ref in s.steps
        if (ref.runbook, ref.step) in steps
    }
    details = tuple(
        f"{r.id}: {sum(1 for s in r.steps if (r.id, s.number) in verified)} of {len(r.steps)} steps verified"
        for r in inputs.runbooks
        if r.steps
    )
    evidence = f"{len(recent)} run(s) since {since.isoformat()}; {checked}"
    return Metric(key, name, percent(len(verified), len(steps)), len(verified) / len(steps), formula, evidence, details)


def _usability_line(r: RunbookFacts) -> str:
    missing = sum(1 for s in r.steps if not has_outcome(s))
    return (
        f"{r.id}: {len(r.steps)} steps, {sum(words(s) for s in r.steps)} words, "
        f"{sum(commands(s) for s in r.steps)} commands, {missing} step(s) without an expected outcome"
    )


def usability(inputs: QualityInputs) -> Metric:
    """Steps, words and commands per runbook, and the steps that do not say what to expect."""
    key, name = "usability", "Usability"
    formula = "per runbook: steps, words and commands of the Steps section; steps without an expected outcome"
    books = [r for r in inputs.runbooks if r.steps]
    if not books:
        return no_data(key, name, formula, "no runbook has numbered steps")
    steps = [s for r in books for s in r.steps]
    without = [(r, s) for r in books for s in r.steps if not has_outcome(s)]
    n = len(books)
    value = (
        f"{len(steps) / n:.1f} steps, {sum(words(s) for s in steps) / n:.0f} words, "
        f"{sum(commands(s) for s in steps) / n:.1f} commands per runbook; "
        f"{len(without)} of {len(steps)} steps without an expected outcome"
    )
    details = tuple(_usability_line(r) for r in books)
    details += tuple(f"no expected outcome: {r.path}:{s.line} ({r.id} step {s.number})" for r, s in without)
    evidence = f"{n} runbook(s) with steps"
    return Metric(key, name, value, 1.0 - len(without) / len(steps), formula, evidence, details)


def _due(r: RunbookFacts) -> date:
    return r.last_reviewed + timedelta(days=r.review_every_days)


PAST_DAYS = (90, 60, 30)


def past_currency(inputs: QualityInputs) -> str:
    """The share of runbooks current 90, 60 and 30 days ago, from the ``last_reviewed`` each had then (git)."""
    if inputs.reviews is None:
        return "trend so far: no history (git log of runbooks/ unavailable or a shallow clone)"
    every = {r.path: r.review_every_days for r in inputs.runbooks}
    points = []
    for back in PAST_DAYS:
        day = inputs.today - timedelta(days=back)
        then: dict[str, date] = {}
        for change in inputs.reviews:  # oldest first: the last one on or before ``day`` wins
            if change.day <= day and change.path in every:
                then[change.path] = change.last_reviewed
        if not then:
            points.append(f"{back} days ago no runbook yet")
            continue
        current = sum(1 for p, last in then.items() if day <= last + timedelta(days=every[p]))
        points.append(f"{back} days ago {percent(current, len(then))}")
    return "trend so far (from git): " + ", ".join(points)


def currency(inputs: QualityInputs) -> Metric:
    """Runbooks reviewed within their ``review_every``; the overdue ones; the share still current ahead."""
    key, name = "currency", "Currency"
    formula = "runbooks with today <= last_reviewed + review_every / all runbooks"
    books = inputs.runbooks
    if not books:
        return no_data(key, name, formula, "no runbook could be read")
    today = inputs.today
    overdue = sorted((r for r in books if today > _due(r)), key=_due)
    ahead = [sum(1 for r in books if today + timedelta(days=d) <= _due(r)) for d in FORECAST_DAYS]
    trend = ", ".join(
        f"in {d} days {percent(c, len(books))}" for d, c in zip(FORECAST_DAYS[1:], ahead[1:], strict=True)
    )
    details = tuple(
        f"overdue by {(today - _due(r)).days} day(s): {r.id} (last reviewed {r.last_reviewed})" for r in overdue
    )
    details += (f"trend without further reviews: {trend}",)
    details += (past_currency(inputs),)
    current = len(books) - len(overdue)
    evidence = f"{len(overdue)} overdue of {len(books)}"
    return Metric(key, name, percent(current, len(books)), current / len(books), formula, evidence, details)
