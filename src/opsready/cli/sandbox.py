"""``opsready sandbox``: the bundled reference system."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from opsready.chaos.reconcile import open_faults, reconcile
from opsready.cli.common import config_option, handle_errors, load, open_target, out, progress
from opsready.config import Config
from opsready.errors import UsageError
from opsready.safety import check_destructive, ensure_running
from opsready.targets.faults import FaultInjectable
from opsready.targets.protocol import Target


def _disposable(config_path: Path | None, target_name: str | None) -> tuple[Config, Target]:
    """The configuration and a disposable target (refused before it is opened when it is real)."""
    config = load(config_path)
    chosen = config.target(target_name)
    if chosen.kind != "disposable":
        raise UsageError(
            f"target '{chosen.name}' is a real {chosen.platform} target: `opsready sandbox` only manages "
            "disposable targets (opsready never starts, stops or switches a real one directly)",
            hint="use `opsready deploy` / `opsready rollback` for a real target",
        )
    return config, open_target(config, chosen.name)


def _show(target: Target) -> None:
    running = target.is_running()
    state = "[green]up[/green]" if running else "[yellow]down[/yellow]"
    description = target.describe()
    out.print(f"{target.name}: {state}   platform: {target.platform} ({target.kind})")
    for key, value in description.details:
        out.print(f"{key}: {value}")
    if running:
        out.print(f"url: {description.base_url}")
        table = Table("program", "state", "pid", "detail", box=None, pad_edge=False)
        for inst in target.instances():
            colour = "green" if inst.running else "red"
            table.add_row(inst.name, f"[{colour}]{inst.state}[/{colour}]", str(inst.pid or "-"), inst.detail)
        out.print(table)
    if isinstance(target, FaultInjectable):
        for fault in open_faults(target):
            out.print(f"[yellow]open fault[/yellow] {fault.describe()}")


@click.group()
def sandbox() -> None:
    """Start, stop and inspect the sandbox (any disposable target), and switch its releases."""


@sandbox.command()
@config_option
@handle_errors
def up(config_path: Path | None, target_name: str | None) -> None:
    """Start the sandbox (harmless when it is already up)."""
    _, target = _disposable(config_path, target_name)
    target.start(progress)
    if isinstance(target, FaultInjectable):
        # a fault the journals say is over must not come back with the restart; one still open is shown
        done = reconcile(target, say=progress)
        for recovered in done.reverted:
            out.print(f"reverted {recovered.name} ({recovered.kind}), over by its journal {recovered.journal.name}")
        for step in done.manual:
            out.print(f"[red]manual step[/red] {step.where}: {step.what}")
    _show(target)


@sandbox.command()
@click.option("--purge", is_flag=True, help="Also delete the state directory (database, releases, logs).")
@config_option
@handle_errors
def down(purge: bool, config_path: Path | None, target_name: str | None) -> None:
    """Stop every process of the sandbox, even a crashed one."""
    _, target = _disposable(config_path, target_name)
    target.stop(progress, purge=purge)
    out.print(f"{target.name} down" + (" and purged" if purge else ""))


@sandbox.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@config_option
@handle_errors
def status(as_json: bool, config_path: Path | None, target_name: str | None) -> None:
    """Show whether the sandbox is up, its programs, ports, database and release (read-only)."""
    _, target = _disposable(config_path, target_name)
    if not as_json:
        _show(target)
        return
    running = target.is_running()
    description = target.describe()
    data = {
        "name": target.name,
        "platform": target.platform,
        "kind": target.kind,
        "up": running,
        "base_url": description.base_url,
        "details": dict(description.details),
        "open_faults": [
            {"journal": str(f.journal), "fault": f.fault_id, "name": f.name, "kind": f.kind, "deadline": f.deadline}
            for f in (open_faults(target) if isinstance(target, FaultInjectable) else ())
        ],
        "programs": [
            {"name": i.name, "state": i.state, "pid": i.pid, "detail": i.detail}
            for i in (target.instances() if running else ())
        ],
    }
    out.print_json(json.dumps(data))


@sandbox.command()
@config_option
@handle_errors
def releases(config_path: Path | None, target_name: str | None) -> None:
    """List shipped releases and the release history."""
    _, target = _disposable(config_path, target_name)
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
    config, target = _disposable(config_path, target_name)
    check_destructive(config, target, False, "a release switch", entry="deploy")  # disposable: no flag needed
    ensure_running("deploy", target)
    record = target.deploy(version, "deploy", "raw switch")
    out.print(f"{record.previous} -> {record.version}")


@sandbox.command("rollback")
@config_option
@handle_errors
def rollback_raw(config_path: Path | None, target_name: str | None) -> None:
    """Switch back to the previous release directly: use `opsready rollback` for the procedure."""
    config, target = _disposable(config_path, target_name)
    check_destructive(config, target, False, "a release switch", entry="rollback")  # disposable: no flag needed
    ensure_running("rollback", target)
    record = target.rollback("raw rollback")
    out.print(f"{record.previous} -> {record.version}")


__all__ = ["sandbox"]
