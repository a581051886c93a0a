"""``opsready maintenance``: run maintenance procedures by their runbooks, and find the window to run them in."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from opsready import exitcodes
from opsready.cli.common import config_option, handle_errors, load, open_target, out, progress
from opsready.durations import parse_duration
from opsready.errors import UsageError, ValidationError


def _duration(option: str, text: str) -> float:
    try:
        return parse_duration(text)
    except ValidationError as exc:
        raise UsageError(f"{option}: {exc.message}") from None


def _instant(option: str, text: str | None) -> dt.datetime:
    if not text:
        return dt.datetime.now(tz=dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{option}: expected an ISO 8601 time like 2026-12-01T12:00Z, got {text!r}") from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


@click.group()
def maintenance() -> None:
    """Maintenance and update procedures: backups, housekeeping, logs, disk, certificates, patches, windows."""


@maintenance.command("list")
def list_procedures() -> None:
    """List the maintenance procedures and their runbooks."""
    from opsready.maintenance.procedures import PROCEDURES

    for procedure in PROCEDURES.values():
        changes = "changes the target" if procedure.changes_target else "read-only"
        out.print(f"{procedure.describe()}, {changes}")


@maintenance.command()
@click.argument("procedure")
@click.option("--release", default="", help="The release a 'patch' rolls out.")
@click.option("--force", is_flag=True, help="Run outside the allowed window or in a freeze (needs --reason).")
@click.option("--reason", default="", help="Why it cannot wait; recorded in the record and the notices.")
@click.option("--planned", default=None, metavar="DURATION", help="Planned duration (default: the procedure's).")
@click.option("--dest", type=click.Path(path_type=Path, file_okay=False), default=None, help="Backup directory.")
@click.option("--valid-days", type=click.IntRange(min=1), default=90, show_default=True, help="Renewed certificate.")
@click.option("--keep", type=click.IntRange(min=1), default=None, help="Log archives to keep per log.")
@click.option(
    "--allow-destructive",
    is_flag=True,
    help="Allow a procedure that changes a real (not disposable) target; any target it changes must be in "
    "safety.destructive_targets.",
)
@config_option
@handle_errors
def run(
    *,
    procedure: str,
    release: str,
    force: bool,
    reason: str,
    planned: str | None,
    dest: Path | None,
    valid_days: int,
    keep: int | None,
    allow_destructive: bool,
    config_path: Path | None,
    target_name: str | None,
) -> None:
    """Run PROCEDURE by its runbook: pre-checks, the work, its validation, post-checks, record and notices.

    Exit code 0 when it succeeded and validated within the 2-hour KPI, 1 when not (rolled back, failed, aborted),
    2 for bad input or a refusal (outside the allowed window without --force).
    """
    from opsready.maintenance.procedures import MaintenanceRequest
    from opsready.maintenance.runner import MaintenanceRunner, procedure_named
    from opsready.safety import check_destructive, ensure_running
    from opsready.timeline import Timeline

    chosen = procedure_named(procedure)  # an unknown name is refused before the configuration is even read
    if force and not reason.strip():
        raise UsageError("--force needs --reason: say why this maintenance cannot wait for its window")
    if reason and not force:
        raise UsageError("--reason goes with --force (it records why the window policy was overridden)")
    request = MaintenanceRequest(
        procedure=procedure,
        release=release,
        force_reason=reason if force else "",
        backup_dir=dest.resolve() if dest else None,
        valid_days=valid_days,
        keep=keep,
        planned=_duration("--planned", planned) if planned else None,
        allow_destructive=allow_destructive,
    )
    config = load(config_path)
    if chosen.changes_target:  # refused before the target is opened (the runner checks again)
        what = f"'{chosen.name}' (it changes the target)"
        check_destructive(config, config.target(target_name), allow_destructive, what, entry="maintenance")
    target = open_target(config, target_name)
    timeline = Timeline(f"maintenance {procedure}")
    runner = MaintenanceRunner(config, target, timeline, progress)
    runner.authorise(runner.validate(request), request)  # bad input and a closed window come before the target's state
    ensure_running("maintenance", target)
    record = runner.run(request)
    for check_run in (record.pre, record.post):
        if check_run is None:
            continue
        out.print(f"[bold]{check_run.name}-maintenance checks[/bold]")
        for result in check_run.results:
            mark = "[green]ok[/green]    " if result.observation.ok else "[red]FAILED[/red]"
            out.print(f"  {mark} {result.name}: {result.observation.describe()}")
    for m in timeline.measurements:
        colour = "green" if m.ok else "red"
        out.print(f"  [{colour}]{m.describe()}[/{colour}]")
    if not record.authorisation.in_window:
        out.print(f"[yellow]{record.authorisation.describe()}[/yellow]")
    if record.silence is not None:
        out.print(f"alerts: {record.silence.describe()}")
    for notice in record.notices:
        out.print(f"notice: {notice}")
    colour = "green" if record.ok else "red"
    out.print(f"[{colour}]{record.summary()}[/{colour}]")
    sys.exit(exitcodes.OK if record.ok else exitcodes.NOT_READY)


@maintenance.command()
@click.option("--length", "length_text", required=True, metavar="DURATION", help="Window length, e.g. 2h (max 1 day).")
@click.option("--history", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Traffic history CSV.")
@click.option("--after", default=None, metavar="TIME", help="Search from this UTC time (default: now).")
@click.option("--horizon", "horizon_text", default="14 days", show_default=True, help="How far ahead to search.")
@click.option("--announce", "announce_for", default=None, metavar="PROCEDURE", help="Render the announcement.")
@config_option
@handle_errors
def window(
    *,
    length_text: str,
    history: Path | None,
    after: str | None,
    horizon_text: str,
    announce_for: str | None,
    config_path: Path | None,
    target_name: str | None,
) -> None:
    """Find the quietest maintenance window of --length in the traffic history, honouring change freezes and
    allowed windows from opsready.yaml, and explain the expected user impact. Read-only."""
    from opsready.maintenance import comms
    from opsready.maintenance.runner import procedure_named
    from opsready.maintenance.window import find_window
    from opsready.traffic_history import load_history

    length = _duration("--length", length_text)
    if not 0 < length <= 86400:
        raise UsageError(f"--length must be more than zero and at most a day, got {length_text!r}")
    horizon = _duration("--horizon", horizon_text)
    start = _instant("--after", after)
    procedure = procedure_named(announce_for) if announce_for else None
    config = load(config_path)
    policy = config.maintenance
    path = history or config.resolve(policy.traffic_history)
    if history is None and not path.is_file():
        raise UsageError(
            f"no traffic history at {path} (maintenance.traffic_history in {config.path.name})",
            hint="pass --history FILE (CSV with the columns timestamp,rps)",
        )
    if procedure is not None:
        comms.check_templates(config.resolve(policy.templates_dir))
    choice = find_window(load_history(path), length, policy, start, horizon)
    out.print(f"traffic history: {path}")
    out.print(choice.explain())
    if procedure is not None:
        values = comms.announcement_values(
            choice, procedure.title, procedure.runbook, target_name or config.default_target
        )
        notice = comms.write_notice(
            config.resolve(policy.templates_dir),
            config.resolve(policy.comms_dir),
            "announcement",
            procedure.name,
            values,
        )
        out.print(f"announcement: {notice}")
