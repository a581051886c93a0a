"""The readiness score: how recently each runbook was drilled with success, per runbook category and overall.

The formula (docs/reports.md explains it to readers):

- A runbook was *drilled* in a recorded run when a scenario linked to it (``@runbook:<id>``) ran there (not skipped).
- Its latest drill is the most recent such run. If any of its scenarios in that run failed, the runbook earns 0: a
  failing drill is evidence the procedure does not work today, whatever older runs showed.
- Otherwise the credit depends on how old that run is at scoring time: full credit up to 90 days, then falling
  linearly to nothing at 180 days. A runbook never drilled earns 0.
- A category's score is 100 times the mean credit of its runbooks; a category with no runbook at all scores 0,
  because the story asks for procedures in every category.
- The overall score is the mean of the six category scores, rounded to one decimal; `--min-score` compares that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from opsready.report.history import PastRun
from opsready.results import CATEGORIES, Category, RunbookInfo

FRESH_DAYS = 90.0
EXPIRED_DAYS = 180.0


@dataclass(frozen=True)
class RunbookScore:
    """One runbook's credit (0..1) and the drill it comes from."""

    id: str
    title: str
    category: Category | None
    credit: float
    last_drill: str | None  # when the latest drill's run finished
    age_days: float | None
    passed: bool | None  # None: never drilled
    reason: str


@dataclass(frozen=True)
class CategoryScore:
    """One runbook category's score (0..100) and the runbooks behind it."""

    category: Category
    score: float
    runbooks: tuple[RunbookScore, ...]


@dataclass(frozen=True)
class Readiness:
    """The readiness score at a moment, per category and overall, and the minimum it is held to (if any)."""

    overall: float
    categories: tuple[CategoryScore, ...]
    at: str
    min_score: float | None = None

    @property
    def meets_minimum(self) -> bool:
        """True unless a minimum was asked for and the overall score is below it."""
        return self.min_score is None or self.overall >= self.min_score

    def category(self, name: str) -> CategoryScore | None:
        """The score of one category, or None."""
        return next((c for c in self.categories if c.category == name), None)


def parse_time(value: str) -> datetime:
    """An ISO 8601 time as written in results and history (``2026-11-27T10:02:03Z``)."""
    return datetime.fromisoformat(value)


def credit(age_days: float) -> float:
    """Full credit up to 90 days, then linearly less until none at 180 days."""
    age = max(0.0, age_days)
    if age <= FRESH_DAYS:
        return 1.0
    if age >= EXPIRED_DAYS:
        return 0.0
    return (EXPIRED_DAYS - age) / (EXPIRED_DAYS - FRESH_DAYS)


def _runbook_score(runbook: RunbookInfo, runs: tuple[PastRun, ...], now: datetime) -> RunbookScore:
    drilled = [(run, [s for s in run.scenarios if runbook.id in s.runbooks and s.outcome != "skipped"]) for run in runs]
    drilled = [(run, scenarios) for run, scenarios in drilled if scenarios]
    if not drilled:
        return RunbookScore(runbook.id, runbook.title, runbook.category, 0.0, None, None, None, "never drilled")
    run, scenarios = max(drilled, key=lambda pair: parse_time(pair[0].finished))
    age = (now - parse_time(run.finished)).total_seconds() / 86400.0
    failed = [s.name for s in scenarios if s.outcome != "passed"]
    if failed:
        reason = f"latest drill failed: {', '.join(failed)}"
        return RunbookScore(runbook.id, runbook.title, runbook.category, 0.0, run.finished, age, False, reason)
    earned = credit(age)
    if earned == 1.0:
        reason = "passed today" if age < 1.0 else f"passed {age:.0f} day(s) ago"
    elif earned == 0.0:
        reason = f"stale: last passed {age:.0f} days ago (no credit after {EXPIRED_DAYS:.0f})"
    else:
        reason = f"going stale: last passed {age:.0f} days ago (full credit up to {FRESH_DAYS:.0f})"
    return RunbookScore(runbook.id, runbook.title, runbook.category, earned, run.finished, age, True, reason)


def readiness_score(
    runs: tuple[PastRun, ...], runbooks: tuple[RunbookInfo, ...], now: datetime, min_score: float | None = None
) -> Readiness:
    """Score the runbooks against the recorded runs at ``now`` (timezone-aware)."""
    categories = []
    for category in CATEGORIES:
        scores = tuple(_runbook_score(r, runs, now) for r in runbooks if r.category == category)
        value = 100.0 * sum(s.credit for s in scores) / len(scores) if scores else 0.0
        categories.append(CategoryScore(category, round(value, 1), scores))
    overall = round(sum(c.score for c in categories) / len(categories), 1)
    return Readiness(overall, tuple(categories), now.isoformat(timespec="seconds").replace("+00:00", "Z"), min_score)
