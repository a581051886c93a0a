"""The inputs of the runbook quality metrics, gathered once at the boundary, and the metrics they give.

The report package computes the metrics from these plain records only; reading runbooks, the coverage list, review
drafts and git history is the drills floor's job (:mod:`opsready.drills.quality`). A field that could not be read
is ``None`` with the reason beside it, so a metric says "no data" instead of inventing a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from opsready.report.history import PastRun

NO_DATA = "no data"
DEFAULT_ACCURACY_DAYS = 90


@dataclass(frozen=True)
class StepText:
    """One numbered runbook step: its number, line, and its whole text (continuation lines and code blocks)."""

    number: int
    line: int
    text: str


@dataclass(frozen=True)
class RunbookFacts:
    """What the metrics need of a runbook."""

    id: str
    title: str
    path: str
    last_reviewed: date
    review_every_days: float
    steps: tuple[StepText, ...]


@dataclass(frozen=True)
class CoverageItem:
    """One item of the checked list (an operational scenario or an incident class) and its runbooks."""

    id: str
    kind: str
    title: str
    runbooks: tuple[str, ...]
    loc: str


@dataclass(frozen=True)
class Change:
    """One commit that changed files under runbooks/: its day and how many runbook files it touched."""

    day: date
    files: int


@dataclass(frozen=True)
class Review:
    """A commit that set a runbook's ``last_reviewed``: when it was committed, the file, the date it set."""

    day: date
    path: str  # relative to the suite, as RunbookFacts.path
    last_reviewed: date


@dataclass(frozen=True)
class ActionItemFacts:
    """One action item of a post-incident review: done or open, and when it is due."""

    loc: str
    done: bool
    due: date | None


@dataclass(frozen=True)
class QualityInputs:
    """Everything the metrics read; ``changes`` and ``actions`` are None with a reason when unknown."""

    today: date
    runbooks: tuple[RunbookFacts, ...]
    coverage: tuple[CoverageItem, ...]
    drilled: frozenset[str]  # runbook ids some feature scenario is tagged with
    runs: tuple[PastRun, ...]
    accuracy_days: int = DEFAULT_ACCURACY_DAYS
    changes: tuple[Change, ...] | None = None
    changes_reason: str = "no history"
    actions: tuple[ActionItemFacts, ...] | None = None
    actions_reason: str = "no review drafts"
    reviews: tuple[Review, ...] | None = None  # from git: every change of a runbook's last_reviewed (None: no history)
    commands: tuple[int, int] | None = None  # runbook commands passing the CLI check, and all checked (None: unchecked)


@dataclass(frozen=True)
class Metric:
    """One quality metric: its value (or "no data"), the formula, the evidence, and detail lines."""

    key: str
    name: str
    value: str
    number: float | None
    formula: str
    evidence: str
    details: tuple[str, ...] = ()

    @property
    def has_data(self) -> bool:
        """Whether the metric rests on data (else its value is "no data")."""
        return self.value != NO_DATA


@dataclass(frozen=True)
class QualityReport:
    """The eight metrics of the story, in its order, as of ``today``."""

    today: date
    metrics: tuple[Metric, ...]

    def metric(self, key: str) -> Metric:
        """The metric of that key."""
        return next(m for m in self.metrics if m.key == key)


def no_data(key: str, name: str, formula: str, why: str, details: tuple[str, ...] = ()) -> Metric:
    """A metric without data: it says so and why."""
    return Metric(key, name, NO_DATA, None, formula, why, details)


def percent(part: int, whole: int) -> str:
    """'12 of 20 (60.0 %)'."""
    return f"{part} of {whole} ({100.0 * part / whole:.1f} %)"
