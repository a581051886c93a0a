"""``opsready sandbox``: the bundled reference system."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click
from rich.table import Table

from opsready.cli.common import config_option, handle_errors, load, out, progress
from opsready.errors import UsageError
from opsready.sandbox.adapter import SandboxTarget
from opsready.sandbox.manager import Sandbox, SandboxStatus


def _sandbox(config_path: Path | None, target_name: str | None) -> SandboxTarget:
    from opsready.targets.registry import open_target

    target = open_target(load(config_path), target_name)
    if not isinstance(target, SandboxTarget):
        raise UsageError(f"target '{target.name}' is a {target.platform} target, not a sandbox")
    return target


def _show(status: SandboxStatus) -> None:
    state = "[green]up[/green]" if status.up else "[yellow]down[/yellow]"
    out.print(f"sandbox: {state}   state: {status.state_dir}")
    if status.engine:
        out.print(f"database: {status.engine} ({status.database_location})")
    if status.release:
        out.print(f"release: {status.release}")
    if status.ports and status.up:
        p = status.ports
        out.print(f"edge: http://127.0.0.1:{p.edge}   api: {p.api}   postgres: {p.postgres}   db proxy: {p.db_proxy}")
    if status.programs:
        table = Table("program", "state", "pid", "detail", box=None, pad_edge=False)
        for prog in status.programs:
            colour = "green" if prog.state == "RUNNING" else "red"
            table.add_row(prog.name, f"[{colour}]{prog.state}[/{colour}]", str(prog.pid or "-"), prog.description)
        out.print(table)


@click.group()
def sandbox() -> None:
    """Start, stop and inspect the sandbox, and switch its releases."""


@sandbox.command()
@config_option
@handle_errors
def up(config_path: Path | None, target_name: str | None) -> None:
    """Start the sandbox (harmless when it is already up)."""
    target = _sandbox(config_path, target_name)
    _show(target.sandbox.up(progress))


@sandbox.command()
@click.option("--purge", is_flag=True, help="Also delete the state directory (database, releases, logs).")
@config_option
@handle_errors
def down(purge: bool, config_path: Path | None, target_name: str | None) -> None:
    """Stop every process of the sandbox, even a crashed one."""
    target = _sandbox(config_path, target_name)
    stopped = target.sandbox.down(purge=purge, progress=progress)
    out.print(f"sandbox down ({len(stopped)} process(es) stopped)")


@sandbox.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@config_option
@handle_errors
def status(as_json: bool, config_path: Path | None, target_name: str | None) -> None:
    """Show whether the sandbox is up, its programs, ports, database and release (read-only)."""
    st = _sandbox(config_path, target_name).sandbox.status()
    if as_json:
        out.print_json(json.dumps(asdict(st), default=str))
    else:
        _show(st)


@sandbox.command()
@config_option
@handle_errors
def releases(config_path: Path | None, target_name: str | None) -> None:
    """List shipped releases and the release history."""
    target = _sandbox(config_path, target_name)
    current = target.current_release()
    table = Table("release", "", "description", box=None, pad_edge=False)
    for release in target.releases():
        mark = "current" if release.version == current else ("training" if release.training else "")
        table.add_row(release.version, mark, release.description)
    out.print(table)
    history = target.history()
    if history:
        out.print("\nhistory (oldest first):")
        for record in history:
            note = f"  ({record.note})" if record.note else ""
            out.print(f"  {record.at}  {record.kind:<9} {record.previous or '-'} -> {record.version}{note}")


@sandbox.command("deploy")
@click.argument("version")
@config_option
@handle_errors
def deploy_raw(version: str, config_path: Path | None, target_name: str | None) -> None:
    """Switch to VERSION directly (no checklists, no soak): use `opsready deploy` for the procedure."""
    record = _sandbox(config_path, target_name).deploy(version, "deploy", "raw switch")
    out.print(f"{record.previous} -> {record.version}")


@sandbox.command("rollback")
@config_option
@handle_errors
def rollback_raw(config_path: Path | None, target_name: str | None) -> None:
    """Switch back to the previous release directly: use `opsready rollback` for the procedure."""
    record = _sandbox(config_path, target_name).rollback("raw rollback")
    out.print(f"{record.previous} -> {record.version}")


__all__ = ["Sandbox", "sandbox"]
