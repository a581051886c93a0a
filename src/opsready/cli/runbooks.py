"""``opsready runbooks``: lint runbooks and their links to the scenarios that verify them."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from opsready.cli.common import config_option, err, handle_errors, load, out

# Commands that exist for one platform only (a runbook must mark them, e.g. `opsready sandbox releases` (sandbox only)):
# `opsready sandbox` manages disposable targets, which only the sandbox platform provides.
PLATFORM_ONLY = {"sandbox": "sandbox"}


def run_lint(root: Path) -> bool:
    """Lint runbooks/ against features/ under ``root``; print problems; True when there is no error."""
    from opsready.runbooks import lint

    context = click.get_current_context(silent=True)
    tree = context.find_root().command if context is not None else None
    report = lint(root / "runbooks", root / "features", cli=tree, platform_only=PLATFORM_ONLY)
    for problem in report.problems:
        colour = "red" if problem.severity == "error" else "yellow"
        err.print(f"[{colour}]{problem.severity}[/{colour}]: {problem.loc}: {problem.message}")
    for runbook_id, scenarios in report.coverage:
        out.print(f"{runbook_id}: verified by {len(scenarios)} scenario(s)")
    return report.ok


@click.group()
def runbooks() -> None:
    """Work with the runbooks in runbooks/."""


@runbooks.command()
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=Path(),
    show_default=True,
    help="Suite directory holding runbooks/ and features/.",
)
@handle_errors
def lint(root: Path) -> None:
    """Check structure, front matter and review dates, that every runbook is verified by a scenario
    (@runbook:<id> tags) and every tag names a runbook, and that every `opsready` command a runbook names exists
    (subcommands, options, arguments) and is marked when it exists for one platform only. Exit code 2 on any error."""
    if not run_lint(root):
        sys.exit(2)


@runbooks.command("run")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False, exists=True))
@config_option
@handle_errors
def run_read_only(files: tuple[Path, ...], config_path: Path | None, target_name: str | None) -> None:
    """Run the runbooks' read-only blocks (```sh opsready-run read-only```) against the target, each within its
    time limit; blocks for another platform are skipped. Changing blocks are never run here: drills rehearse them.
    FILES: only these runbooks (default: every one under runbooks/). Exit code 2 when a block fails or hangs."""
    import os

    from opsready.runbooks.cmdlint import all_blocks
    from opsready.runbooks.commands import extract_commands
    from opsready.runbooks.runblocks import run_block

    config = load(config_path)
    target = config.target(target_name)
    if files:
        blocks = tuple(b for path in files for b in extract_commands(path).blocks)
    else:
        blocks = all_blocks(config.root / "runbooks")
    env = {**os.environ, "OPSREADY_CONFIG": str(config.path)}
    ran = failed = skipped = 0
    for block in blocks:
        if block.mode != "read-only":
            continue
        if block.platform not in (None, target.platform):
            out.print(f"{block.loc()}: skipped ({block.platform} only; target '{target.name}' is {target.platform})")
            skipped += 1
            continue
        result = run_block(block, config.root, env)
        ran, failed = ran + 1, failed + (not result.ok)
        (out if result.ok else err).print(str(result), markup=False)
    out.print(f"{ran - failed} of {ran} read-only block(s) passed, {skipped} skipped")
    if failed:
        err.print(f"[red]error[/red]: {failed} read-only block(s) failed")
        sys.exit(2)
