"""``opsready gameday PLAN``: play a game-day plan against the target, with people (or ``--auto``) in the loop.

This is where the game day meets the chaos and the incident packages (capability packages never import each
other): each scenario is an incident drill (:class:`opsready.incident.drill.Drill`) whose fault is injected through
a chaos :class:`~opsready.chaos.session.Session` guard, so every fault is journaled, watched by its dead-man watchdog
and reverted on every outcome, Ctrl-C included. The reports are written with :func:`opsready.report.publish`.
"""

from __future__ import annotations

import secrets
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from opsready.cli.common import config_option, err, handle_errors, load, open_target, out, progress
from opsready.config import Config
from opsready.errors import OpsreadyError, UsageError, UserError
from opsready.targets.protocol import Target

if TYPE_CHECKING:
    from opsready.gameday.console import Board
    from opsready.gameday.plan import Catalogue, GameDayPlan, Scenario
    from opsready.incident.drill import DrillPlan, DrillResult
    from opsready.incident.files import Checked, IncidentFiles
    from opsready.incident.responder import Responder
    from opsready.results import Artifact, ScenarioResult
    from opsready.traffic import Traffic


@dataclass(frozen=True)
class _Prepared:
    scenario: Scenario
    drill: DrillPlan
    fault: Any  # the chaos PlannedFault to inject


def _inputs(config: Config) -> tuple[IncidentFiles, Checked]:
    from opsready.incident.files import IncidentFiles as Files
    from opsready.incident.files import check_all

    files = Files.of(config)
    checked, problems = check_all(files, datetime.now(tz=UTC))
    if checked is None:
        raise problems[0]
    return files, checked


def _catalogue(config: Config, files: IncidentFiles, checked: Checked) -> tuple[Catalogue, dict[str, Path]]:
    from opsready.gameday.plan import Catalogue as Known
    from opsready.runbooks.parse import parse_runbook

    runbooks = {parse_runbook(p).id: p for p in files.runbook_paths()}
    experiments = frozenset(p.stem for p in (config.root / "experiments").glob("*.yaml"))
    known = Known(
        experiments=experiments,
        runbooks={rid: parse_runbook(path).experiments for rid, path in runbooks.items()},
        severities=tuple(s.name for s in checked.classification.severities),
        targets=tuple(t.name for t in config.targets),
    )
    return known, runbooks


def _prepare(config: Config, plan: GameDayPlan, runbooks: dict[str, Path], target: Target) -> tuple[_Prepared, ...]:
    """Every scenario's experiment against the target's fault kinds, and its runbook's mitigation (read-only)."""
    from opsready.chaos.experiment import load_experiment
    from opsready.errors import ValidationError
    from opsready.incident.drill import DrillPlan as Plan
    from opsready.incident.mitigation import load_mitigation
    from opsready.runbooks.parse import parse_runbook
    from opsready.targets.faults import faults_of

    if not target.instances():
        raise UsageError(
            f"target '{target.name}' is not running, so the game day cannot start", hint="opsready sandbox up"
        )
    kinds = faults_of(target).fault_kinds()
    prepared = []
    for scenario in plan.scenarios:
        experiment = load_experiment(config.root / "experiments" / f"{scenario.experiment}.yaml", kinds)
        fault = next((f for f in experiment.faults if f.phase == "method"), None)
        if fault is None:
            raise ValidationError(f"experiment '{scenario.experiment}' injects no fault", scenario.loc)
        runbook = parse_runbook(runbooks[scenario.runbook])
        mitigation = load_mitigation(runbooks[scenario.runbook])
        mitigation.check(target)
        drill = Plan(
            incident=runbook.id,
            title=runbook.title,
            runbook=str(Path(runbook.path).relative_to(config.root)),
            owner=runbook.owner,
            severity=runbook.severity or scenario.severity,
            experiment=experiment.name,
            fault=fault.spec.describe(),
            mitigation=mitigation,
        )
        prepared.append(_Prepared(scenario, drill, fault))
    return tuple(prepared)


@dataclass
class _Run:
    config: Config
    target: Target
    plan: GameDayPlan
    files: IncidentFiles
    checked: Checked
    traffic: Traffic
    board: Board
    responder: Responder
    say: Callable[[str], None]

    def play(self, index: int, item: _Prepared, artifacts: list[Artifact]) -> ScenarioResult:
        """One scenario as an incident drill; its faults are reverted before this returns or raises."""
        from opsready.chaos.session import Session
        from opsready.gameday.results import Played, artifact, judge, scenario_result
        from opsready.incident.comms import Communicator
        from opsready.incident.drill import Drill
        from opsready.incident.review import write_review
        from opsready.timeline import Timeline

        scenario = item.scenario
        timeline = Timeline(scenario.name)
        self.board.begin(index, scenario.name, scenario.time_box)
        self.board.on_observation = lambda text: timeline.mark("observation", text, source="scribe")
        for checkpoint in scenario.checkpoints:
            self.board.note(f"checkpoint: {checkpoint}")
        session = Session(
            self.config, self.target, timeline, experiment=f"gameday {self.plan.path.name}: {scenario.name}",
            say=self.say,
        )  # fmt: skip
        drill = Drill(
            item.drill,
            self.checked.classification,
            self.checked.escalation,
            self.target,
            timeline,
            responder=self.responder,
            communicator=Communicator(self.files.templates, self.files.comms, None),
            traffic=self.traffic,
            slow_after=self.checked.classification.slow_after(),
            say=self.say,
        )
        started = time.monotonic()
        problems: tuple[str, ...] = ()
        aborted = False
        done: DrillResult | None = None
        try:
            self.board.update("observing the steady state", "checking")
            drill.prepare()
            self.board.update("injecting the fault", "steady")
            drill.inject(lambda: session.guard.inject(item.fault.name, item.fault.spec))
            self.board.update("detecting")
            drill.detect()
            severity = drill.classify()
            self.board.update("classified", f"INCIDENT ({severity.name})")
            self.board.update("paging the responder")
            drill.acknowledge()
            self.board.update("mitigating")
            drill.mitigate()
            self.board.update("waiting for recovery", "recovering")
            drill.recover()
            self.board.update("recovered", "steady")
            done = drill.finish()
            review = write_review(done, self.files.reviews)
            artifacts += [artifact("comms", n.path) for n in done.notices] + [artifact("review", review)]
        except KeyboardInterrupt:
            aborted, problems = True, ("stopped by Ctrl-C; every fault was reverted",)
            timeline.mark("aborted", "the game day was stopped from the keyboard")
        except OpsreadyError as exc:
            problems = (str(exc),)
        finally:
            self.board.on_observation = None
            closing = _close(session)
        problems += closing
        if session.started:
            artifacts.append(artifact("journal", session.guard.journal.path))
            unreverted = tuple(r.name for r in session.guard.records if not r.reverted_by or r.error)
            if done is not None and not problems:
                problems = judge(scenario, done.severity.name, done.measurements, unreverted)
        played = Played(scenario, problems, aborted, time.monotonic() - started)
        outcome = scenario_result(self.plan, played, timeline, self.traffic.snapshot(), index)
        self.say(f"scenario {index} '{scenario.name}': {outcome.outcome} {outcome.message}".rstrip())
        return outcome


def _close(session: Any) -> tuple[str, ...]:
    """Revert whatever is still applied, through the journal; a failed revert fails the scenario, not the run (the
    fault's dead-man watchdog retries it, and ``opsready recover`` can)."""
    try:
        session.close()
    except OpsreadyError as exc:
        return (f"revert failed: {exc}",)
    return ()


@contextmanager
def _view(board: Board, interactive: bool) -> Iterator[None]:
    if not interactive:
        yield
        return
    from rich.live import Live

    from opsready.gameday.console import keyboard

    with keyboard(board), Live(get_renderable=board.render, console=err, refresh_per_second=4, transient=False):
        yield


def _responder(board: Board, plan: GameDayPlan, auto: bool) -> Responder:
    from opsready.gameday.console import KeyboardResponder
    from opsready.incident.responder import AutomaticResponder

    return AutomaticResponder() if auto else KeyboardResponder(board, plan.roles.responders[0])


@click.command()
@click.argument("plan_path", metavar="PLAN", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--auto", is_flag=True, help="Unattended: the automatic responder acknowledges and mitigates.")
@click.option("--reports", type=click.Path(path_type=Path, file_okay=False), default=None, help="Reports directory.")
@click.option("--allow-destructive", is_flag=True, help="Allow faults on a real (not disposable) target.")
@config_option
@handle_errors
def gameday(  # noqa: PLR0917  # click passes every option
    plan_path: Path,
    auto: bool,
    reports: Path | None,
    allow_destructive: bool,
    config_path: Path | None,
    target_name: str | None,
) -> None:
    """Play a game-day PLAN (gamedays/*.yaml) under background load, then write the readiness reports.

    \b
    Keys: a acknowledge the page, m declare the mitigation, o add an observation (Enter records it);
    Ctrl-C stops the game day after reverting every fault. Exit code 0: every scenario met the plan;
    1: a scenario did not; 2: bad plan or input (nothing was touched); 130: stopped with Ctrl-C.
    """
    from opsready.gameday.console import Board, recent_load
    from opsready.gameday.plan import load_plan
    from opsready.gameday.results import notes
    from opsready.report import publish
    from opsready.results import RunResult
    from opsready.runbooks import runbook_infos
    from opsready.safety import check_destructive, ensure_running
    from opsready.traffic import Traffic

    config = load(config_path)
    files, checked = _inputs(config)
    known, runbooks = _catalogue(config, files, checked)
    plan = load_plan(plan_path, known)
    check_destructive(config, config.target(target_name or plan.target), allow_destructive, entry="gameday")
    target = open_target(config, target_name or plan.target)
    ensure_running("gameday", target)
    prepared = _prepare(config, plan, runbooks, target)
    interactive = not auto
    if interactive and not (sys.stdin.isatty() and err.is_terminal):
        raise UserError("the interactive game day needs a terminal; use --auto for an unattended run")
    started_wall, started = datetime.now(tz=UTC), time.monotonic()
    load_profile = plan.load
    traffic = Traffic(
        target.base_url, clients=load_profile.clients, rate=load_profile.rate, max_seconds=load_profile.max_duration
    ).start()
    board = Board(plan.title, len(prepared), lambda: recent_load(traffic.snapshot(), time.monotonic()))
    run = _Run(config, target, plan, files, checked, traffic, board, _responder(board, plan, auto), progress)
    if interactive:
        run.say = board.note
    results: list[ScenarioResult] = []
    artifacts: list[Artifact] = []
    stopped = False
    try:
        with _view(board, interactive):
            for index, item in enumerate(prepared, 1):
                results.append(run.play(index, item, artifacts))
                if results[-1].outcome == "error":
                    stopped = True
                    break
    except KeyboardInterrupt:  # between two scenarios: no fault is applied then
        stopped = True
    finally:
        traffic.stop()
    finished = datetime.now(tz=UTC)
    result = RunResult(
        started=started_wall.isoformat(timespec="seconds").replace("+00:00", "Z"),
        finished=finished.isoformat(timespec="seconds").replace("+00:00", "Z"),
        duration=time.monotonic() - started,
        target=target.describe(),
        scenarios=tuple(results),
        selection=f"gameday {plan.path.name}" + (" (stopped)" if stopped else ""),
        notes=notes(plan, run.responder.name),
        kind="gameday",
        run_id=f"{finished:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}",
        runbooks=runbook_infos(config.root / "runbooks"),
        artifacts=tuple(artifacts),
    )
    published = publish(result, (reports or config.resolve(config.reports_dir)).resolve())
    for scenario in results:
        colour = "green" if scenario.ok else "red"
        out.print(
            f"[{colour}]{scenario.outcome:7}[/{colour}] {scenario.name} ({scenario.duration:.1f} s) {scenario.message}"
        )
    out.print(f"game day {plan.title}: {published.result.verdict}; reports: {published.files[2]}")
    if stopped:
        err.print("stopped: every fault was reverted")
        sys.exit(130)
    sys.exit(0 if published.result.verdict == "ready" else 1)
