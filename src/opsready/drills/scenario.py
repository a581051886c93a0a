"""One game-day scenario played as an incident rehearsal, its stages shown on the board as they happen."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from opsready.config import Config
from opsready.drills.faults import DrillFaults
from opsready.drills.incident import rehearse
from opsready.drills.plan import PlannedDrill
from opsready.errors import OpsreadyError
from opsready.gameday.console import Board
from opsready.gameday.plan import GameDayPlan, Scenario
from opsready.gameday.results import Played, artifact, judge, scenario_result
from opsready.incident.files import Checked, IncidentFiles
from opsready.incident.responder import Responder
from opsready.results import Artifact, ScenarioResult
from opsready.targets.protocol import Target
from opsready.timeline import Timeline
from opsready.traffic import Traffic


@dataclass(frozen=True)
class PreparedScenario:
    """A scenario of the plan and the drill its runbook and experiment make."""

    scenario: Scenario
    planned: PlannedDrill


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
    if faults.journal is not None:
        artifacts.append(artifact("journal", faults.journal))
        if done is not None and not problems:
            problems = judge(scenario, done.result.severity.name, done.result.measurements, faults.unreverted())
    played = Played(scenario, problems, aborted, time.monotonic() - started)
    outcome = scenario_result(stage.plan, played, timeline, stage.traffic.snapshot(), index)
    stage.say(f"scenario {index} '{scenario.name}': {outcome.outcome} {outcome.message}".rstrip())
    return outcome
