"""``opsready gameday PLAN``: play a game-day plan against the target, with people (or ``--auto``) in the loop.

A thin face over :mod:`opsready.drills.gameday`, where the game day meets the chaos, incident and report packages:
this command parses its options, checks safety, shows the live board to people, and prints the outcome.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from opsready import exitcodes
from opsready.cli.common import config_option, err, exit_stopped, handle_errors, load, open_target, out, progress
from opsready.errors import UserError

if TYPE_CHECKING:
    from opsready.gameday.console import Board


@contextmanager
def _view(board: Board) -> Iterator[None]:
    """The live board on the terminal, and the keys people press."""
    from rich.live import Live

    from opsready.gameday.console import keyboard

    with keyboard(board), Live(get_renderable=board.render, console=err, refresh_per_second=4, transient=False):
        yield


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
    at the start, name who plays each role (Enter keeps the plan's); after each scenario, d done / s skipped /
    v deviated (then a note) for each runbook step and checkpoint;
    Ctrl-C stops the game day after reverting every fault. Exit code 0: every scenario met the plan;
    1: a scenario did not; 2: bad plan or input (nothing was touched); 130: stopped with Ctrl-C.
    """
    from opsready.drills.gameday import GameDay, prepare_gameday, read_gameday
    from opsready.drills.reporting import publish_run
    from opsready.safety import check_destructive, ensure_running

    config = load(config_path)
    inputs = read_gameday(config, plan_path)
    plan = inputs.plan
    check_destructive(config, config.target(target_name or plan.target), allow_destructive, entry="gameday")
    target = open_target(config, target_name or plan.target)
    ensure_running("gameday", target)
    prepared = prepare_gameday(inputs, target)
    interactive = not auto
    if interactive and not (sys.stdin.isatty() and err.is_terminal):
        raise UserError("the interactive game day needs a terminal; use --auto for an unattended run")
    game = GameDay(inputs, target, prepared, auto=auto, say=None if interactive else progress)
    played = game.play(_view(game.board) if interactive else None)
    published = publish_run(played.run, (reports or config.resolve(config.reports_dir)).resolve(), root=config.root)
    for scenario in played.run.scenarios:
        colour = "green" if scenario.ok else "red"
        out.print(
            f"[{colour}]{scenario.outcome:7}[/{colour}] {scenario.name} ({scenario.duration:.1f} s) {scenario.message}"
        )
    out.print(f"game day {plan.title}: {published.result.verdict}; reports: {published.files[2]}")
    if played.stopped:
        exit_stopped(signal.SIGINT, "stopped: every fault was reverted")
    sys.exit(exitcodes.OK if published.result.verdict == "ready" else exitcodes.NOT_READY)
