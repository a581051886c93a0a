"""``opsready experiment``, ``opsready plan`` and ``opsready recover``: chaos experiments whose faults are reverted."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from opsready import exitcodes
from opsready.cli.common import config_option, err, exit_stopped, handle_errors, load, open_target, out, progress


@click.group()
def experiment() -> None:
    """Run and check chaos experiments (chaostoolkit files in experiments/)."""


@experiment.command("run")
@click.argument("path", metavar="EXPERIMENT", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--allow-destructive",
    is_flag=True,
    help="Allow faults on a real (not disposable) target; any target must be in safety.destructive_targets.",
)
@click.option("--reports", type=click.Path(path_type=Path, file_okay=False), default=None, help="Journal directory.")
@config_option
@handle_errors
def run(
    path: Path, allow_destructive: bool, reports: Path | None, config_path: Path | None, target_name: str | None
) -> None:
    """Validate EXPERIMENT, run it, and revert every fault whatever happens (SIGINT and SIGTERM included).

    \b
    Exit code 0: steady state held, every detection probe saw its fault and every fault was reverted; 1: the
    experiment failed or deviated, a fault was not detected, a fault was not injected because its detection probe
    already showed it (the baseline), or a revert failed; 2: bad input or refused by the safety rules;
    130/143: interrupted by SIGINT/SIGTERM (after reverting every fault). The table: docs/exit-codes.md.
    """
    from opsready.chaos.experiment import load_experiment
    from opsready.chaos.runner import Interrupted, run_experiment
    from opsready.safety import check_destructive, ensure_running
    from opsready.targets.faults import faults_of

    config = load(config_path)
    check_destructive(config, config.target(target_name), allow_destructive, entry="experiment")
    target = open_target(config, target_name)
    load_experiment(path, faults_of(target).fault_kinds())  # bad input is reported before the target's state
    ensure_running("experiment", target)
    try:
        result = run_experiment(
            path,
            config,
            target,
            allow_destructive=allow_destructive,
            reports_dir=reports.resolve() if reports else None,
            say=progress,
        )
    except Interrupted as exc:
        name = signal.Signals(exc.signum).name
        if exc.result is not None:
            _summary(exc.result)
        exit_stopped(exc.signum, f"interrupted by {name}: every fault was reverted")
    _summary(result)
    sys.exit(exitcodes.OK if result.passed else exitcodes.NOT_READY)


def _summary(result: object) -> None:
    from opsready.chaos.runner import ExperimentResult

    assert isinstance(result, ExperimentResult)
    verdict: str = "deviated" if result.deviated else result.status
    if result.refused:
        verdict = "refused"
    elif result.undetected:
        verdict = "not detected"
    out.print(f"experiment {result.name}: {verdict} in {result.seconds:.1f} s", markup=False)
    if result.refused:
        out.print(f"  {result.refused}", markup=False)
    for missed in result.undetected:
        out.print(f"  {missed}", markup=False)
    for fault in result.faults:
        state = (
            f"reverted by {fault.reverted_by}: {fault.verified}"
            if fault.reverted_by
            else f"NOT REVERTED: {fault.error}"
        )
        out.print(f"  fault {fault.name} ({fault.spec.kind}): {state}")
    for m in result.measurements:
        colour = "green" if m.ok else "red"
        out.print(f"  [{colour}]{m.describe()}[/{colour}]")
    out.print(f"  fault journal: {result.fault_journal}")
    if result.chaos_journal:
        out.print(f"  chaostoolkit journal: {result.chaos_journal}")


@experiment.command("validate")
@click.argument("paths", metavar="EXPERIMENT...", nargs=-1, required=True, type=click.Path(path_type=Path))
@config_option
@handle_errors
def validate(paths: tuple[Path, ...], config_path: Path | None, target_name: str | None) -> None:
    """Check experiments against the target's fault kinds and the probe library (touches nothing)."""
    from opsready.chaos.experiment import load_experiment
    from opsready.targets.faults import faults_of

    config = load(config_path)
    kinds = faults_of(open_target(config, target_name)).fault_kinds()
    for path in paths:
        checked = load_experiment(path, kinds)
        out.print(f"{path}: ok ({len(checked.faults)} fault(s), {len(checked.steps)} activities)")


@experiment.command("faults")
@config_option
@handle_errors
def fault_kinds(config_path: Path | None, target_name: str | None) -> None:
    """List the fault kinds the target offers, with their parameters."""
    from opsready.targets.faults import faults_of

    config = load(config_path)
    for kind in faults_of(open_target(config, target_name)).fault_kinds():
        out.print(f"[bold]{kind.name}[/bold] ({kind.family}): {kind.summary}")
        for param in kind.params:
            out.print(f"    {param.describe()}")


@click.command()
@click.argument("path", metavar="EXPERIMENT", type=click.Path(path_type=Path, dir_okay=False))
@config_option
@handle_errors
def plan(path: Path, config_path: Path | None, target_name: str | None) -> None:
    """Print what EXPERIMENT would inject where and how each fault is reverted; injects nothing."""
    from opsready.chaos.experiment import load_experiment
    from opsready.chaos.plan import make_plan
    from opsready.targets.faults import faults_of

    config = load(config_path)
    target = open_target(config, target_name)
    faults = faults_of(target)
    for line in make_plan(load_experiment(path, faults.fault_kinds()), target, faults).lines():
        out.print(line)


@click.command()
@click.option("--acknowledge", is_flag=True, help="Record that the listed manual steps were done by a person.")
@click.option("--force", is_flag=True, help="Also revert faults of runs whose process still runs.")
@config_option
@handle_errors
def recover(acknowledge: bool, force: bool, config_path: Path | None, target_name: str | None) -> None:
    """Revert every fault the journals do not show as reverted, and expire the Alertmanager silences a maintenance
    left behind (after a crash or SIGKILL).

    \b
    Exit code 0: nothing is left applied (a second run finds nothing to do); 5: something needs a manual step
    (listed with the journal's path:line); 2: bad configuration.
    """
    from opsready.drills.recovery import recover_all
    from opsready.safety import check_destructive, ensure_running

    config = load(config_path)
    # the rule lets recover revert on any target without the allowlist or a flag: reverting makes it safe again
    check_destructive(config, config.target(target_name), False, "reverting faults", entry="recover")
    target = open_target(config, target_name)
    ensure_running("recover", target)  # used as it is: reverting must work on a stopped target too
    done = recover_all(config, target, acknowledge=acknowledge, force=force, say=progress)
    report, silences = done.faults, done.silences
    for journal, silence_id in silences.expired:
        out.print(f"expired silence {silence_id} left by {journal}")
    for journal, silence_id in silences.ended:
        out.print(f"silence {silence_id} left by {journal} had already ended at its endsAt")
    for run_name in silences.skipped:
        out.print(f"skipped {run_name}: it expires its own silences (use --force to take over)")
    for where, what in silences.manual:
        err.print(f"[red]manual step[/red] {where}: {what}")
    for item in report.reverted:
        out.print(f"reverted {item.name} ({item.kind}) from {item.journal.name}: {item.verified}")
    for run_name in report.skipped:
        out.print(f"skipped {run_name}: its own guard and watchdogs are in charge (use --force to take over)")
    for step in report.acknowledged:
        out.print(f"acknowledged {step.where}: {step.what}")
    for step in report.manual:
        err.print(f"[red]manual step[/red] {step.where}: {step.what}")
    if done.nothing_done:
        out.print(f"nothing to recover ({report.journals} journal(s) checked)")
    if report.manual:
        err.print("after doing the manual steps, run: opsready recover --acknowledge")
    sys.exit(done.exit_code)


__all__ = ["experiment", "plan", "recover"]
