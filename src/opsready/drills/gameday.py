"""A game day: every scenario of a plan played as an incident rehearsal under background load, then one result.

Reading validates everything (plan, incident files, runbooks, experiments) before anything touches a target;
preparing builds each scenario's drill plan against the target (read-only); playing runs the scenarios back to back
and returns the :class:`GameDayResult`. The ``opsready gameday`` command is a thin face over this, and a test can play a
game day in-process.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from opsready.adherence import PlannedItem
from opsready.config import Config
from opsready.drills.plan import incident_runbooks, plan_drill
from opsready.drills.reporting import with_runbooks
from opsready.drills.scenario import PreparedScenario, Stage, play_scenario
from opsready.errors import UsageError
from opsready.gameday.adherence import AutomaticConfirmer, Cast, Confirmer, KeyboardConfirmer, ask_cast, checkpoints
from opsready.gameday.console import Board, KeyboardResponder, recent_load
from opsready.gameday.plan import Catalogue, GameDayPlan, Scenario, load_plan
from opsready.gameday.results import notes
from opsready.incident.files import Checked, IncidentFiles, check_all
from opsready.incident.responder import AutomaticResponder, Responder
from opsready.monitoring.kpi import measure_kpis
from opsready.profile import traffic_of
from opsready.results import Artifact, RunResult, ScenarioResult
from opsready.runbooks.parse import parse_runbook
from opsready.targets.protocol import Target
from opsready.traffic import Traffic


@dataclass(frozen=True)
class GameDayInputs:
    """A validated plan and the incident inputs it is played with."""

    config: Config
    plan: GameDayPlan
    files: IncidentFiles
    checked: Checked
    runbooks: dict[str, Path]


@dataclass(frozen=True)
class GameDayResult:
    """The played game day: the run the reports read, and whether it was stopped before its end."""

    run: RunResult
    stopped: bool


def read_gameday(config: Config, plan_path: Path) -> GameDayInputs:
    """Read and check the incident files, then the plan against what they declare (nothing is touched)."""
    files = IncidentFiles.of(config)
    checked, problems = check_all(files, datetime.now(tz=UTC))
    if checked is None:
        raise problems[0]
    runbooks = incident_runbooks(files)
    known = Catalogue(
        experiments=frozenset(p.stem for p in (config.root / "experiments").glob("*.yaml")),
        runbooks={rid: parse_runbook(path).experiments for rid, path in runbooks.items()},
        severities=tuple(s.name for s in checked.classification.severities),
        targets=tuple(t.name for t in config.targets),
    )
    return GameDayInputs(config, load_plan(plan_path, known), files, checked, runbooks)


def prepare_gameday(inputs: GameDayInputs, target: Target) -> tuple[PreparedScenario, ...]:
    """Every scenario's drill plan against the target's fault kinds and components (read-only)."""
    if not target.instances():
        raise UsageError(
            f"target '{target.name}' is not running, so the game day cannot start", hint="opsready sandbox up"
        )
    return tuple(
        PreparedScenario(
            scenario,
            plan_drill(
                inputs.config.root,
                inputs.runbooks[scenario.runbook],
                target,
                experiment=scenario.experiment,
                severity=scenario.severity,
            ),
            planned_items(inputs, scenario),
        )
        for scenario in inputs.plan.scenarios
    )


def planned_items(inputs: GameDayInputs, scenario: Scenario) -> tuple[PlannedItem, ...]:
    """The steps of the scenario's runbook, then its checkpoints, each with the file and line it is written at."""
    root = inputs.config.root
    runbook = inputs.runbooks[scenario.runbook]
    steps = tuple(
        PlannedItem("step", scenario.runbook, _shown(runbook, root), step.line, step.number, step.text)
        for step in parse_runbook(runbook).steps
    )
    plan = inputs.plan.path
    return steps + checkpoints(plan.name, _shown(plan, root), scenario)


def _shown(path: Path, root: Path) -> str:
    """``path`` relative to the suite when it lies inside it (as people find it in their checkout)."""
    for inside, suite in ((path.absolute(), root.absolute()), (path.resolve(), root.resolve())):
        if inside.is_relative_to(suite):
            return str(inside.relative_to(suite))
    return str(path)


class GameDay:
    """One game day to play: its background load, its board, and who responds to the pages."""

    def __init__(
        self,
        inputs: GameDayInputs,
        target: Target,
        prepared: tuple[PreparedScenario, ...],
        *,
        auto: bool,
        say: Callable[[str], None] | None = None,
    ) -> None:
        plan = inputs.plan
        self.inputs, self.target, self.prepared = inputs, target, prepared
        self.traffic = Traffic(
            target.base_url,
            clients=plan.load.clients,
            rate=plan.load.rate,
            max_seconds=plan.load.max_duration,
            paths=plan.load.paths,
            journeys=traffic_of(target),
        )
        self.board = Board(plan.title, len(prepared), lambda: recent_load(self.traffic.snapshot(), time.monotonic()))
        self.auto = auto
        self.responder: Responder = (
            AutomaticResponder() if auto else KeyboardResponder(self.board, plan.roles.responders[0])
        )
        self.cast = Cast.of(plan.roles)
        self.say = say if say is not None else self.board.note

    def _people(self) -> Confirmer:
        """Ask who plays which role (people only); the confirmer of each scenario's steps."""
        if self.auto:
            return AutomaticConfirmer(self.responder.name)
        self.cast = ask_cast(self.board, self.inputs.plan.roles)
        self.responder = KeyboardResponder(self.board, self.cast.responder)
        return KeyboardConfirmer(self.board, self.cast)

    def play(self, view: AbstractContextManager[object] | None = None) -> GameDayResult:
        """Play every scenario inside ``view`` (the live board, for people); an error or Ctrl-C stops the day, with
        every fault reverted."""
        inputs = self.inputs
        started_wall, started = datetime.now(tz=UTC), time.monotonic()
        results: list[ScenarioResult] = []
        artifacts: list[Artifact] = []
        stopped = False
        try:
            with view if view is not None else nullcontext():
                confirmer = self._people()
                stage = Stage(
                    inputs.config, self.target, inputs.plan, inputs.files, inputs.checked,
                    self.traffic.start(), self.board, self.responder, self.say, confirmer,
                )  # fmt: skip
                for index, item in enumerate(self.prepared, 1):
                    results.append(play_scenario(stage, index, item, artifacts))
                    if results[-1].outcome == "error":
                        stopped = True
                        break
        except KeyboardInterrupt:  # between two scenarios: no fault is applied then
            stopped = True
        finally:
            self.traffic.stop()
        measured = measure_kpis(inputs.config.kpis, self.target, time.monotonic() - started)
        finished = datetime.now(tz=UTC)
        run = RunResult(
            started=_iso(started_wall),
            finished=_iso(finished),
            duration=time.monotonic() - started,
            target=self.target.describe(),
            scenarios=tuple(results),
            selection=f"gameday {inputs.plan.path.name}" + (" (stopped)" if stopped else ""),
            notes=notes(inputs.plan, self.responder.name, (self.cast.incident_commander, self.cast.scribe)),
            kind="gameday",
            run_id=f"{finished:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}",
            artifacts=tuple(artifacts),
            measured_kpis=measured,
        )
        return GameDayResult(with_runbooks(run, inputs.config.root), stopped)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
