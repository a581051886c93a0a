"""One game-day scenario played as an incident rehearsal, its stages shown on the board as they happen."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from opsready.adherence import Adherence, PlannedItem
from opsready.config import Config
from opsready.drills.faults import DrillFaults
from opsready.drills.incident import Rehearsed, rehearse
from opsready.drills.plan import PlannedDrill
from opsready.errors import OpsreadyError
from opsready.gameday.adherence import Confirmer
from opsready.gameday.console import Board
from opsready.gameday.plan import GameDayPlan, Scenario
from opsready.gameday.results import Played, artifact, judge, scenario_result
from opsready.incident.files import Checked, IncidentFiles
from opsready.incident.responder import Responder
from opsready.incident.review import write_review
from opsready.results import Artifact, ScenarioResult
from opsready.targets.protocol import Target
from opsready.timeline import Timeline
from opsready.traffic import Traffic


@dataclass(frozen=True)
class PreparedScenario:
    """A scenario of the plan and the drill its runbook and experiment make."""

    scenario: Scenario
    planned: PlannedDrill
    items: tuple[PlannedItem, ...] = ()  # the runbook's steps and the scenario's checkpoints, confirmed afterwards


@dataclass(frozen=True)
class Stage:
    """Everything a scenario is played with (the same for every scenario of one game day)."""

    config: Config
    target: Target
    plan: GameDayPlan
    files: IncidentFiles
    checked: Checked
    traffic: Traffic
    board: Board
    responder: Responder
    say: Callable[[str], None]
    confirmer: Confirmer


def play_scenario(stage: Stage, index: int, item: PreparedScenario, artifacts: list[Artifact]) -> ScenarioResult:
    """One scenario as an incident drill; its faults are reverted before this returns or raises."""
    scenario, board = item.scenario, stage.board
    timeline = Timeline(scenario.name)
    board.begin(index, scenario.name, scenario.time_box)
    board.on_observation = lambda text: timeline.mark("observation", text, source="scribe")
    for checkpoint in scenario.checkpoints:
        board.note(f"checkpoint: {checkpoint}")
    experiment = f"gameday {stage.plan.path.name}: {scenario.name}"
    faults = DrillFaults(stage.config, stage.target, timeline, experiment, say=stage.say)
    rehearsal = rehearse(
        item.planned, stage.checked, stage.files, stage.target, timeline,
        faults=faults, responder=stage.responder, traffic=stage.traffic, say=stage.say,
    )  # fmt: skip
    drill = rehearsal.drill
    started = time.monotonic()
    problems: tuple[str, ...] = ()
    aborted = False
    done = None
    try:
        board.update("observing the steady state", "checking")
        drill.prepare()
        board.update("injecting the fault", "steady")
        rehearsal.inject()
        board.update("detecting")
        drill.detect()
        severity = drill.classify()
        board.update("classified", f"INCIDENT ({severity.name})")
        if drill.alerting is not None and drill.alerting.measured:
            board.update("waiting for the team's alert to fire and page")
            drill.alert()  # "alert never fired" fails the scenario here
            paged = drill.timeline.first("alert_delivered")
            board.note(f"page arrived: {paged.detail}" if paged is not None else "no page")
        board.update("paging the responder")
        drill.acknowledge()
        board.update("mitigating")
        drill.mitigate()
        board.update("waiting for recovery", "recovering")
        drill.recover()
        board.update("recovered", "steady")
        done = rehearsal.finish()
        artifacts += [artifact("comms", n.path) for n in done.result.notices] + [artifact("review", done.review)]
    except KeyboardInterrupt:
        aborted, problems = True, ("stopped by Ctrl-C; every fault was reverted",)
        timeline.mark("aborted", "the game day was stopped from the keyboard")
    except OpsreadyError as exc:
        problems = (str(exc),)
    finally:
        board.on_observation = None
        closing = faults.close_quietly()
    problems += closing
    seconds = time.monotonic() - started  # confirming the steps afterwards is not part of the scenario's time
    adherence = None
    if not aborted:
        try:
            adherence = _confirm(stage, item, timeline, done)
        except KeyboardInterrupt:
            aborted, problems = True, (*problems, "stopped by Ctrl-C while the runbook steps were confirmed")
    if faults.journal is not None:
        artifacts.append(artifact("journal", faults.journal))
        if done is not None and not problems:
            problems = judge(scenario, done.result.severity.name, done.result.measurements, faults.unreverted())
    played = Played(scenario, problems, aborted, seconds, adherence)
    outcome = scenario_result(stage.plan, played, timeline, stage.traffic.snapshot(), index)
    stage.say(f"scenario {index} '{scenario.name}': {outcome.outcome} {outcome.message}".rstrip())
    return outcome


def _confirm(stage: Stage, item: PreparedScenario, timeline: Timeline, done: Rehearsed | None) -> Adherence:
    """What was done of each planned item; the review draft is written again with the skipped and deviated ones."""
    performed = {e.kind for e in timeline.events}
    if done is not None:
        performed |= {f"notice {n.kind}" for n in done.result.notices}
    adherence = Adherence(item.items, stage.confirmer.confirm(item.items, frozenset(performed)))
    if done is not None:
        write_review(done.result, stage.files.reviews, adherence=adherence, path=done.review)
    return adherence
