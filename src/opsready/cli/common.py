"""What every command shares: loading the configuration and the target, progress lines, error handling."""

from __future__ import annotations

import functools
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.markup import escape

from opsready import exitcodes
from opsready.config import Config, load_config
from opsready.errors import OpsreadyError
from opsready.targets.protocol import Target

F = TypeVar("F", bound=Callable[..., Any])
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def progress(message: str) -> None:
    """A progress line on stderr, so stdout stays clean for --json."""
    err.print(f"[dim]·[/dim] {message}")


def config_option(fn: F) -> F:
    """--config and --target, shared by every command that drives a target."""
    fn = click.option(
        "--target",
        "target_name",
        metavar="NAME",
        default=None,
        help="Target from opsready.yaml (default: its default_target).",
    )(fn)
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="Configuration file (default: opsready.yaml here or in a parent, or $OPSREADY_CONFIG).",
    )(fn)


def load(config_path: Path | None) -> Config:
    """The validated configuration."""
    return load_config(config_path)


def open_target(config: Config, name: str | None) -> Target:
    """The Target for a configured name."""
    from opsready.targets.registry import open_target as _open

    return _open(config, name)


def handle_errors(fn: F) -> F:
    """Print opsready errors as ``path:line: message`` (no traceback) and exit with their code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except OpsreadyError as exc:
            # escaped: a message may hold brackets (pip install 'opsready[kubernetes]') that are not markup
            err.print(f"[bold red]error:[/bold red] {escape(exc.render())}", markup=True, highlight=False)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt as exc:
            exit_stopped(_signal_of(exc), "interrupted")

    return wrapper  # type: ignore[return-value]


def exit_stopped(signum: int, message: str) -> NoReturn:
    """Say ``message`` on stderr and exit as stopped by ``signum`` (130 for SIGINT, 143 for SIGTERM), whatever
    signal comes next.

    The run has already stopped and reverted what it did. A second Ctrl-C while the message is printed or the exit
    unwinds would otherwise reach click, which turns it into "Aborted!" and exit code 1, a code that says nothing of
    the interruption.
    """
    for sig in (signal.SIGINT, signal.SIGTERM):
        # a Python handler, not SIG_IGN: a program started while we exit (ssh -O exit, say) gets the default back
        signal.signal(sig, _already_stopping)
    err.print(message)
    sys.exit(exitcodes.by_signal(signum))


def _already_stopping(_signum: int, _frame: FrameType | None) -> None:
    """A further signal once the exit is decided: nothing more to stop."""


def _signal_of(exc: KeyboardInterrupt) -> int:
    """The signal a KeyboardInterrupt stands for: SIGTERM as the shield or the load runs deliver it, else SIGINT."""
    from opsready.chaos.shield import Terminated

    return signal.SIGTERM if isinstance(exc, Terminated) or exc.args == ("SIGTERM",) else signal.SIGINT
