"""``opsready deploy``, ``opsready rollback`` and ``opsready check``: the procedures of the deployment runbooks."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from opsready import exitcodes
from opsready.checks import CheckRun
from opsready.cli.common import config_option, handle_errors, load, open_target, out, progress
from opsready.deploy.procedure import Procedures
from opsready.errors import UsageError
from opsready.safety import check_destructive, ensure_running
from opsready.targets.rolling import RolloutReport, rolling_of
from opsready.timeline import Timeline

ALLOW_HELP = "Allow it on a real (not disposable) target; any target must be in safety.destructive_targets."


def _show_checklist(result: CheckRun) -> None:
    out.print(f"[bold]{result.name}[/bold]")
    for item in result.results:
        mark = "[green]ok[/green]    " if item.observation.ok else "[red]FAILED[/red]"
        out.print(f"  {mark} {item.name}: {item.observation.describe()}")


def _show_timeline(timeline: Timeline) -> None:
    for m in timeline.measurements:
        colour = "green" if m.ok else "red"
        out.print(f"  [{colour}]{m.describe()}[/{colour}]")


def _show_rollout(report: RolloutReport) -> None:
    t0 = report.steps[0].at if report.steps else 0.0
    for step in report.steps:
        out.print(f"  {step.at - t0:6.2f} s  {step.host}: {step.step}" + (f" ({step.detail})" if step.detail else ""))


def _finish_rollout(report: RolloutReport, timeline: Timeline) -> None:
    """Print a rolling deploy or rollback; exit 1 when a trigger rolled it back."""
    _show_rollout(report)
    _show_timeline(timeline)
    if report.result == "succeeded":
        out.print(f"[green]{report.describe()}[/green]")
        return
    out.print(f"[red]{report.describe()}[/red]")
    sys.exit(exitcodes.NOT_READY)


@click.command()
@click.argument("version")
@click.option("--emergency", is_flag=True, help="Expedited path: no soak, mandatory health checks only.")
@click.option("--justification", default="", help="Why this cannot wait (required with --emergency).")
@click.option("--allow-destructive", is_flag=True, help=ALLOW_HELP)
@config_option
@handle_errors
def deploy(  # noqa: PLR0917  # click passes every option
    version: str,
    emergency: bool,
    justification: str,
    allow_destructive: bool,
    config_path: Path | None,
    target_name: str | None,
) -> None:
    """Deploy VERSION by the runbook: pre-checks, switch, soak with rollback triggers, post-checks.

    A target with a load balancer to roll through (a hosts target with balancer.kind) is deployed batch by batch
    instead: drain, switch, check directly, put back, soak. Exit code 0 when the release is serving and validated,
    1 when it was rolled back.
    """
    config = load(config_path)
    check_destructive(config, config.target(target_name), allow_destructive, "a deployment", entry="deploy")
    target = open_target(config, target_name)
    ensure_running("deploy", target)
    timeline = Timeline(f"deploy {version}")
    rolling = rolling_of(target)
    if rolling is not None:
        if emergency:
            raise UsageError("--emergency is not offered for a rolling deploy through a balancer yet")
        from opsready.monitoring.analysis import soak_judges

        # opt-in PromQL triggers judge every batch's soak; the target's Prometheus must accept each query first
        judges = soak_judges(target, config.triggers.prometheus)
        _finish_rollout(rolling.roll_out(version, timeline, progress, judges), timeline)
        return
    outcome = Procedures(config, target, timeline, progress).deploy(version, emergency, justification)
    _show_checklist(outcome.pre)
    if outcome.post:
        _show_checklist(outcome.post)
    _show_timeline(timeline)
    if outcome.review:
        out.print(f"follow-up review item: {outcome.review}")
    if outcome.judged_by is not None:
        out.print(f"error rate and latency judged from: {outcome.judged_by}")
    if outcome.result == "succeeded":
        out.print(f"[green]deployed {outcome.version}[/green] (was {outcome.previous})")
        return
    assert outcome.trigger is not None
    out.print(f"[red]rolled back to {outcome.previous}[/red]: {outcome.trigger.trigger}: {outcome.trigger.evidence}")
    sys.exit(exitcodes.NOT_READY)


@click.command()
@click.option("--reason", required=True, help="Why you roll back; recorded in the release history.")
@click.option("--allow-destructive", is_flag=True, help=ALLOW_HELP)
@config_option
@handle_errors
def rollback(reason: str, allow_destructive: bool, config_path: Path | None, target_name: str | None) -> None:
    """Roll back to the previous release by the runbook, then validate."""
    config = load(config_path)
    check_destructive(config, config.target(target_name), allow_destructive, "a rollback", entry="rollback")
    target = open_target(config, target_name)
    ensure_running("rollback", target)
    timeline = Timeline("manual rollback")
    rolling = rolling_of(target)
    if rolling is not None:
        _finish_rollout(rolling.roll_back(reason, timeline, progress), timeline)
        return
    outcome = Procedures(config, target, timeline, progress).rollback(reason)
    _show_checklist(outcome.post)
    _show_timeline(timeline)
    out.print(f"rolled back {outcome.from_version} -> {outcome.to_version}")
    sys.exit(exitcodes.OK if outcome.post.ok else exitcodes.NOT_READY)


@click.command()
@click.argument("checklist", type=click.Choice(["pre-deploy", "post-deploy"]))
@config_option
@handle_errors
def check(checklist: str, config_path: Path | None, target_name: str | None) -> None:
    """Run a validation checklist against the target (read-only). Exit code 1 when a check fails."""
    config = load(config_path)
    target = open_target(config, target_name)
    result = Procedures(config, target, Timeline(checklist), progress).checklist(checklist)
    _show_checklist(result)
    sys.exit(exitcodes.OK if result.ok else exitcodes.NOT_READY)
