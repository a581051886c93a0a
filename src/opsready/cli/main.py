"""``opsready``: the entry point and its command groups."""

from __future__ import annotations

import click

from opsready.cli.capacity import capacity
from opsready.cli.chaos import experiment, plan, recover
from opsready.cli.common import config_option, handle_errors, load, out
from opsready.cli.deploy import check, deploy, rollback
from opsready.cli.diagnose import diagnose, remedy
from opsready.cli.gameday import gameday
from opsready.cli.gate import gate
from opsready.cli.incident import incident
from opsready.cli.init import init
from opsready.cli.maintenance import maintenance
from opsready.cli.plugins import plugins
from opsready.cli.runbooks import runbooks
from opsready.cli.sandbox import sandbox


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--version``: the package metadata is read only when asked (it costs every start a fifth of a second)."""
    if not value or ctx.resilient_parsing:
        return
    from opsready.version import __version__

    click.echo(f"opsready, version {__version__}")
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option(
    "--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
    help="Show the version and exit.",
)  # fmt: skip
def cli() -> None:
    """Operational readiness: runbooks as executable drills.

    \b
    Typical use:
      opsready init DIR              write a starter suite (--platform sandbox|hosts|kubernetes)
      opsready sandbox up            start the bundled reference system
      opsready deploy 1.1.0          deploy by the runbook (checklists, soak, automatic rollback)
      opsready rollback --reason ... roll back by hand
      opsready runbooks lint         check runbooks and their scenario links
      opsready gate                  the CI readiness gate (pytest -m gate + reports)
      opsready experiment run FILE   a chaos experiment, every fault reverted whatever happens
      opsready recover               revert faults and expire silences a crashed run left behind
      opsready diagnose              walk the troubleshooting tree against the target (read-only)
      opsready incident classify     severity of what the target shows now, with the evidence
      opsready capacity find         the highest throughput that still meets the thresholds
      opsready maintenance window    the quietest allowed maintenance window
      opsready gameday PLAN          play a game day (--auto: unattended)
      opsready plugins               platforms, probes and fault kinds installed packages add
      pytest -m rollback             rehearse the rollback drills
    """


@cli.group("config")
def config_group() -> None:
    """Inspect opsready.yaml."""


@config_group.command("check")
@config_option
@handle_errors
def config_check(config_path: object, target_name: str | None) -> None:
    """Validate opsready.yaml (and the target's options) without touching any target.

    PromQL rollback triggers and KPI queries are parsed with promtool when it is installed.
    """
    from opsready.cli.common import open_target
    from opsready.monitoring.analysis import check_queries_offline

    config = load(config_path)  # type: ignore[arg-type]
    check_queries_offline(config.triggers.prometheus)
    check_queries_offline(config.kpis.checks)
    for target in config.targets:
        if target_name in (None, target.name):
            open_target(config, target.name)
    out.print(f"{config.path}: ok ({len(config.targets)} target(s), default '{config.default_target}')")


cli.add_command(sandbox)
cli.add_command(deploy)
cli.add_command(rollback)
cli.add_command(check)
cli.add_command(runbooks)
cli.add_command(gate)
cli.add_command(capacity)
cli.add_command(maintenance)
cli.add_command(incident)
cli.add_command(experiment)
cli.add_command(plan)
cli.add_command(recover)
cli.add_command(diagnose)
cli.add_command(remedy)
cli.add_command(gameday)
cli.add_command(plugins)
cli.add_command(init)


def main() -> None:
    """Console script entry point."""
    cli()
