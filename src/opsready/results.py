"""What a run produced, as data: the only input reports read (they never reach back into targets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

from opsready.adherence import Adherence
from opsready.config.kpis import KpiKey
from opsready.targets.protocol import TargetDescription
from opsready.timeline import TimelineRecord

SCHEMA_VERSION = 1
# What kind of run produced a result: the CI gate, a game day, or a drill such as `pytest -m rollback`.
RunKind = Literal["gate", "gameday", "drill"]
RUN_KINDS: tuple[RunKind, ...] = get_args(RunKind)
# How a scenario ended, as pytest reports it.
Outcome = Literal["passed", "failed", "skipped", "error"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
# Files drills leave beside the reports.
ArtifactKind = Literal["journal", "comms", "review"]
ARTIFACT_KINDS: tuple[ArtifactKind, ...] = get_args(ArtifactKind)
# The game-day note that names who responded; the history keeps it so training can be followed per person.
RESPONDER_NOTE = "responder on the keyboard: "
# the areas a runbook belongs to; readiness is scored per area
Category = Literal["deployment", "rollback", "incident", "troubleshooting", "capacity", "maintenance"]
CATEGORIES: tuple[Category, ...] = get_args(Category)
Verdict = Literal["ready", "not ready"]
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)
# How a KPI query the target's monitoring answered came out: as a PromQL analysis' measurement (no data is never met).
KpiOutcome = Literal["successful", "failed", "inconclusive"]
KpiSource = Literal["prometheus"]


@dataclass(frozen=True)
class MeasuredKpi:
    """A KPI the target's own monitoring measured over the run (``kpis:`` in opsready.yaml), not computed by opsready.

    ``value`` is the worst series' value, None when nothing was measured; ``detail`` says what was asked and, when
    the outcome is inconclusive, why (monitoring off, Prometheus unreachable, no series, NaN).
    """

    key: KpiKey
    source: KpiSource
    outcome: KpiOutcome
    value: float | None
    condition: str  # 'result >= 0.999'
    window: float  # seconds of the run the query covered
    detail: str


@dataclass(frozen=True)
class TrafficPoint:
    """What users saw in one second of a drill (``at`` in seconds since the drill's timeline started)."""

    at: float
    requests: int
    failed: int
    p95: float | None  # seconds


@dataclass(frozen=True)
class StepRef:
    """A runbook step a scenario verifies (Gherkin tag ``@runbook:<id>:<step>``)."""

    runbook: str
    step: int


@dataclass(frozen=True)
class RunbookStep:
    """One numbered step of a runbook: its number and its first line of text."""

    number: int
    text: str


@dataclass(frozen=True)
class RunbookInfo:
    """What reports need to know of a runbook (put here by the plugin, so reports never read runbooks themselves)."""

    id: str
    title: str
    category: Category | None  # None: a scenario names a runbook that does not exist
    path: str = ""
    steps: tuple[RunbookStep, ...] = ()


@dataclass(frozen=True)
class Artifact:
    """A file a drill left beside the reports: a fault journal, a comms message, a review draft."""

    kind: ArtifactKind
    path: str  # absolute
    modified: str  # wall clock, ISO 8601 UTC


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario (or plain test) of a drill run."""

    nodeid: str
    name: str
    feature: str
    outcome: Outcome
    duration: float
    runbooks: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()
    message: str = ""
    timeline: TimelineRecord | None = None
    traffic: tuple[TrafficPoint, ...] = ()
    runbook_steps: tuple[StepRef, ...] = ()
    expected_skip: str = ""  # skipped, and the configuration expects it: the reason it gives (gate.expected_skips)
    adherence: Adherence | None = None  # game days: the runbook steps and checkpoints, and what was done of each

    @property
    def ok(self) -> bool:
        """Whether the scenario neither failed nor errored (a skip is judged by :attr:`RunResult.verdict`)."""
        return self.outcome in ("passed", "skipped")


@dataclass(frozen=True)
class RunResult:
    """A whole gate, game-day or drill run."""

    started: str
    finished: str
    duration: float
    target: TargetDescription | None
    scenarios: tuple[ScenarioResult, ...]
    selection: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    kind: RunKind = "drill"
    run_id: str = ""
    runbooks: tuple[RunbookInfo, ...] = ()
    artifacts: tuple[Artifact, ...] = ()
    # releases flawed on purpose: deploying one rehearses a rollback, so deployment KPIs leave them out
    training_releases: tuple[str, ...] = ()
    measured_kpis: tuple[MeasuredKpi, ...] = ()  # read from the target's monitoring at the end of the run

    @property
    def unexpected_skips(self) -> tuple[ScenarioResult, ...]:
        """The skipped scenarios that make a gate not ready: every skip the configuration does not expect."""
        if self.kind != "gate":
            return ()
        return tuple(s for s in self.scenarios if s.outcome == "skipped" and not s.expected_skip)

    @property
    def verdict(self) -> Verdict:
        """The one verdict of a run, which reports show and the gate's exit code follows.

        'ready' when at least one scenario ran, none failed or errored and, in a gate, every skipped scenario is
        declared expected (a skip proves nothing); else 'not ready'.
        """
        ran = [s for s in self.scenarios if s.outcome != "skipped"]
        if not ran or not all(s.ok for s in self.scenarios) or self.unexpected_skips:
            return "not ready"
        return "ready"
