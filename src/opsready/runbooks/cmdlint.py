"""Lint the ``opsready`` commands of every Markdown file under runbooks/ against the real command tree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import click

from opsready.errors import Loc, UserError, ValidationError
from opsready.runbooks.clicheck import check_argv, platform_of
from opsready.runbooks.commands import CommandRef, RunBlock, extract_commands


@dataclass(frozen=True)
class CommandFinding:
    """One problem with a command or a runnable block, at its ``path:line``."""

    loc: Loc
    message: str


def markdown_files(runbooks_dir: Path) -> tuple[Path, ...]:
    """Every ``*.md`` under runbooks/, README files included (they name commands too)."""
    return tuple(sorted(p for p in runbooks_dir.rglob("*.md") if p.is_file()))


def _platform_problem(ref: CommandRef, path: tuple[str, ...], platform_only: Mapping[str, str]) -> str | None:
    needs = platform_of(path, platform_only)
    shown = " ".join(("opsready", *path))
    if needs is not None and ref.platform is None:
        marker = f"`{shown}` ({needs} only)" if ref.source == "inline" else f"'# ({needs} only)' or platform={needs}"
        return f"`{shown}` exists for the {needs} platform only: mark it so, as in {marker}"
    if needs is not None and ref.platform != needs:
        return f"`{shown}` is marked ({ref.platform} only) but exists for the {needs} platform"
    if needs is None and ref.platform is not None:
        return f"`{shown}` is marked ({ref.platform} only) but works on every platform"
    return None


def check_command(ref: CommandRef, cli: click.Command, platform_only: Mapping[str, str]) -> str | None:
    """What is wrong with one command as written, or None."""
    checked = check_argv(cli, ref.argv, complete=ref.source == "fenced")
    if checked.problem is not None:
        return checked.problem
    return _platform_problem(ref, checked.path, platform_only)


def all_blocks(runbooks_dir: Path) -> tuple[RunBlock, ...]:
    """Every runnable block under runbooks/, in file and line order (for the runner and its tests)."""
    return tuple(block for path in markdown_files(runbooks_dir) for block in extract_commands(path).blocks)


def lint_commands(
    runbooks_dir: Path, cli: click.Command, platform_only: Mapping[str, str]
) -> tuple[list[CommandFinding], int]:
    """Every command problem and marker problem under runbooks/, and how many commands were checked."""
    findings: list[CommandFinding] = []
    count = 0
    for path in markdown_files(runbooks_dir):
        try:
            found = extract_commands(path)
        except ValidationError as exc:
            findings.append(CommandFinding(exc.loc or Loc(str(path)), exc.message))
            continue
        except UserError as exc:  # unreadable: not a file of text
            findings.append(CommandFinding(Loc(str(path)), exc.message))
            continue
        findings.extend(CommandFinding(exc.loc or Loc(str(path)), exc.message) for exc in found.problems)
        for ref in found.commands:
            count += 1
            problem = check_command(ref, cli, platform_only)
            if problem is not None:
                findings.append(CommandFinding(ref.loc(), problem))
    return findings, count
