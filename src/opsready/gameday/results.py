"""A played scenario as the core result types the reports read."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from opsready.adherence import Adherence
from opsready.gameday.plan import GameDayPlan, Scenario
from opsready.results import RESPONDER_NOTE, Artifact, ArtifactKind, Outcome, ScenarioResult
from opsready.timeline import Measurement, Timeline
from opsready.traffic import TrafficReport


@dataclass(frozen=True)
class Played:
    """What the runner learnt while playing one scenario."""

    scenario: Scenario
    problems: tuple[str, ...]
    aborted: bool
    seconds: float
    adherence: Adherence | None = None


def judge(
    scenario: Scenario, severity: str, measurements: tuple[Measurement, ...], unreverted: tuple[str, ...]
) -> tuple[str, ...]:
    """Why a completed scenario fails the plan (empty when it met every expectation)."""
    problems = (
        [f"classified {severity}, the plan expected {scenario.severity}"] if severity != scenario.severity else []
    )
    problems += [f"{m.describe()}" for m in measurements if not m.ok]
    problems += [f"fault not reverted: {name}" for name in unreverted]
    return tuple(problems)


def scenario_result(
    plan: GameDayPlan, played: Played, timeline: Timeline, traffic: TrafficReport, index: int
) -> ScenarioResult:
    """The core result of one scenario: outcome, timeline, and what the background users saw meanwhile."""
    scenario = played.scenario
    problems = list(played.problems)
    if played.seconds > scenario.time_box:
        problems.append(f"took {played.seconds:.1f} s, over its time box of {scenario.time_box:.0f} s")
    outcome: Outcome = "error" if played.aborted else ("failed" if problems else "passed")
    end = time.monotonic()
    return ScenarioResult(
        nodeid=f"{plan.path.name}::{index}::{scenario.name}",
        name=scenario.name,
        feature=plan.title,
        outcome=outcome,
        duration=played.seconds,
        runbooks=(scenario.runbook,),
        markers=("gameday",),
        message="; ".join(problems),
        timeline=timeline.record(),
        traffic=traffic.between(timeline.t0, end).series(timeline.t0),
        adherence=played.adherence,
    )


def artifact(kind: ArtifactKind, path: Path) -> Artifact:
    """A file the game day left (journal, comms notice, review draft)."""
    modified = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    return Artifact(kind, str(path.resolve()), modified.isoformat(timespec="seconds").replace("+00:00", "Z"))


def notes(plan: GameDayPlan, responder: str, cast: tuple[str, str] | None = None) -> tuple[str, ...]:
    """Who played which role (``cast``: incident commander and scribe as confirmed at the start, when they were),
    and the checkpoints of each scenario, for the report."""
    roles = plan.roles
    commander, scribe = cast if cast is not None else (roles.incident_commander, roles.scribe)
    found = [
        f"game day: {plan.title} ({plan.date}, plan {plan.path.name})",
        f"incident commander: {commander}; scribe: {scribe}; "
        f"responders: {', '.join(roles.responders)}; observers: {', '.join(roles.observers) or 'none'}",
        f"{RESPONDER_NOTE}{responder}",
    ]
    for scenario in plan.scenarios:
        found += [f"checkpoint of '{scenario.name}': {c}" for c in scenario.checkpoints]
    return tuple(found)
