"""``opsready plugins``: the platforms, probes and fault kinds installed packages add, each loaded and checked."""

from __future__ import annotations

import sys

import click
from rich.markup import escape

from opsready.cli.common import err, handle_errors, out


def _builtins(group: str) -> tuple[str, ...]:
    from opsready.probes.registry import PROBES
    from opsready.targets.registry import ADAPTERS

    return {"opsready.platforms": tuple(ADAPTERS), "opsready.probes": tuple(PROBES)}.get(group, ())


def _check(group: str) -> list[str]:
    """Load every plugin of one group as opsready would; the problems, each naming its package."""
    from opsready.errors import PluginError
    from opsready.plugins import FAULTS_GROUP, PROBES_GROUP, load, names
    from opsready.probes.registry import all_probes
    from opsready.targets.faults import fault_plugins

    try:
        found = names(group, _builtins(group))  # type: ignore[arg-type]
        if group == PROBES_GROUP:
            all_probes()
        elif group == FAULTS_GROUP:
            fault_plugins()
        else:
            for entry in found.values():
                load(entry)
    except PluginError as exc:
        return [exc.render()]
    return []


@click.command("plugins")
@handle_errors
def plugins() -> None:
    """List the platforms, probes and fault kinds installed packages add (entry-point groups opsready.platforms,
    opsready.probes, opsready.faults; docs/plugins.md), and load each as opsready would.

    \b
    Exit code 0: every plugin loads; 2: a plugin fails to import, two share a name, or one takes a built-in name
    (the message names its package).
    """
    from opsready.plugins import GROUPS, installed

    problems: list[str] = []
    rows = [entry for group in GROUPS for entry in installed(group)]
    table = [("NAME", "GROUP", "PACKAGE", "VERSION", "OBJECT")]
    table += [(e.name, e.group, e.package, e.version, e.value) for e in rows]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    for row in table if rows else ():
        out.print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + row[4], markup=False)
    if not rows:
        out.print("no plugins installed (entry-point groups: " + ", ".join(GROUPS) + ")")
    for group in GROUPS:
        problems.extend(_check(group))
    for problem in problems:
        err.print(f"[bold red]error:[/bold red] {escape(problem)}")
    sys.exit(2 if problems else 0)
