"""Operational efficiency: mean time to recovery, procedure adherence, training effectiveness and continuous
improvement, from the run history, game-day records, git history and review drafts (formulas in docs/reports.md)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import timedelta

from opsready.durations import format_duration
from opsready.report.history import PastRun
from opsready.report.quality_model import Metric, QualityInputs, no_data, percent

RECOVER, ACKNOWLEDGE, MITIGATE = "time to recover", "time to acknowledge", "time to mitigate"
RECENT_DAYS = 90
MONTHS_SHOWN = 6


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _measured(runs: Iterable[PastRun], name: str) -> list[tuple[PastRun, float]]:
    return [(run, m.seconds) for run in runs for s in run.scenarios if (m := s.measured(name)) is not None]


def mttr(inputs: QualityInputs) -> Metric:
    """Mean of every "time to recover" the history measured, by kind of run and by month."""
    key, name = "mttr", "Mean time to recovery"
    formula = "mean of the 'time to recover' measurements of drills, gates and game days in the history"
    found = _measured(inputs.runs, RECOVER)
    if not found:
        return no_data(key, name, formula, "no recorded run measured a time to recover")
    mean = _mean([v for _, v in found])
    by_kind: dict[str, list[float]] = defaultdict(list)
    by_month: dict[str, list[float]] = defaultdict(list)
    for run, seconds in found:
        by_kind[run.kind].append(seconds)
        by_month[run.finished[:7]].append(seconds)
    details = tuple(f"{k}: {format_duration(_mean(v))} over {len(v)} recovery(ies)" for k, v in sorted(by_kind.items()))
    details += tuple(
        f"{month}: {format_duration(_mean(by_month[month]))} ({len(by_month[month])})"
        for month in sorted(by_month)[-MONTHS_SHOWN:]
    )
    evidence = f"{len(found)} recovery(ies) in {len({id(r) for r, _ in found})} run(s)"
    return Metric(key, name, format_duration(mean), mean, formula, evidence, details)


def adherence(inputs: QualityInputs) -> Metric:
    """Runbook steps and checkpoints game days confirmed done, over every one they planned."""
    key, name = "adherence", "Procedure adherence"
    formula = "steps and checkpoints confirmed 'done' / steps and checkpoints planned, in game-day records"
    games = [run for run in inputs.runs if run.kind == "gameday"]
    records = [s.adherence for run in games for s in run.scenarios if s.adherence is not None]
    planned = sum(len(a.planned) for a in records)
    if not planned:
        why = "no game day in the history" if not games else f"no adherence recorded in {len(games)} game day(s)"
        return no_data(key, name, formula, why)
    followed = sum(a.followed for a in records)
    per: dict[str, Counter[str]] = defaultdict(Counter)
    for record in records:
        for item in record.planned:
            per[item.source]["planned"] += 1
        for c in record.confirmed:
            per[c.item.source][c.status] += 1
    details = tuple(
        f"{source}: {c['done']} done, {c['skipped']} skipped, {c['deviated']} deviated of {c['planned']} planned"
        for source, c in sorted(per.items())
    )
    evidence = f"{planned} planned step(s) and checkpoint(s) in {len(records)} scenario(s) of {len(games)} game day(s)"
    return Metric(key, name, percent(followed, planned), followed / planned, formula, evidence, details)


def _series(values: list[float]) -> str:
    shown = " → ".join(format_duration(v) for v in values[-5:])
    return f"{shown} ({len(values)} game day(s))" if values else "not measured"


def training(inputs: QualityInputs) -> Metric:
    """Each responder's times to acknowledge and mitigate, game day after game day."""
    key, name = "training", "Training effectiveness"
    formula = "per responder, game day after game day: mean time to acknowledge and to mitigate (first → latest)"
    games = [run for run in inputs.runs if run.kind == "gameday"]
    if not games:
        return no_data(key, name, formula, "no game day in the history")
    named = [run for run in games if run.responder]
    if not named:
        return no_data(key, name, formula, f"no responder recorded in {len(games)} game day(s)")
    people: dict[str, tuple[list[float], list[float]]] = {}
    for run in named:
        acks, mits = people.setdefault(run.responder, ([], []))
        for series, measurement in ((acks, ACKNOWLEDGE), (mits, MITIGATE)):
            values = [v for _, v in _measured([run], measurement)]
            if values:  # one figure per game day: the mean of its scenarios
                series.append(_mean(values))
    details = tuple(
        f"{who}: acknowledge {_series(acks)}; mitigate {_series(mits)}" for who, (acks, mits) in sorted(people.items())
    )
    improving = sum(1 for acks, _ in people.values() if len(acks) > 1 and acks[-1] < acks[0])
    value = f"{len(people)} responder(s); {improving} acknowledge faster than at their first game day"
    evidence = f"{len(named)} of {len(games)} game day(s) name their responder"
    return Metric(key, name, value, float(improving), formula, evidence, details)


def improvement(inputs: QualityInputs) -> Metric:
    """Runbook changes over time (git history) and post-incident action items opened and closed."""
    key, name = "improvement", "Continuous improvement"
    formula = (
        f"commits changing runbooks/ in the last {RECENT_DAYS} days (git log), per month; "
        "action items of review drafts: closed / opened"
    )
    details: list[str] = []
    if inputs.actions is None or not inputs.actions:
        details.append(f"action items: no data ({inputs.actions_reason})")
    else:
        closed = sum(1 for a in inputs.actions if a.done)
        overdue = sum(1 for a in inputs.actions if not a.done and a.due is not None and a.due < inputs.today)
        details.append(f"action items: {len(inputs.actions)} opened, {closed} closed, {overdue} overdue")
    if inputs.changes is None:
        return no_data(key, name, formula, f"runbook changes: {inputs.changes_reason}", tuple(details))
    since = inputs.today - timedelta(days=RECENT_DAYS)
    recent = [c for c in inputs.changes if c.day >= since]
    months = Counter(c.day.isoformat()[:7] for c in inputs.changes)
    details += [f"{month}: {months[month]} commit(s)" for month in sorted(months)[-MONTHS_SHOWN:]]
    value = f"{len(recent)} runbook change(s) in {RECENT_DAYS} days ({len(recent) / (RECENT_DAYS / 30):.1f} a month)"
    evidence = f"{len(inputs.changes)} commit(s) changed runbooks/ in all"
    return Metric(key, name, value, float(len(recent)), formula, evidence, tuple(details))
