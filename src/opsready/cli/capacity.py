"""``opsready capacity``: load runs against thresholds, the capacity finder, forecasting, the capacity plan, scaling.

Every input (opsready.yaml, loadtests/capacity.yaml, profiles, the traffic history) is validated before any load
starts; mistakes are ``path:line: message`` with exit code 2.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.table import Table

from opsready import exitcodes
from opsready.capacity import DEFAULT_PATH
from opsready.cli.common import config_option, handle_errors, load, open_target, out, progress
from opsready.config import Config
from opsready.errors import UsageError
from opsready.safety import check_destructive, ensure_running

if TYPE_CHECKING:
    from opsready.capacity.forecast import Forecast
    from opsready.capacity.plan import PlanningSettings
    from opsready.capacity.settings import CapacitySettings

F = TypeVar("F", bound=Callable[..., Any])


def _file_option(flag: str, help_text: str) -> Callable[[F], F]:
    """An optional file path option (default None: the command picks the documented default)."""
    option: Callable[[F], F] = click.option(
        flag, type=click.Path(path_type=Path, dir_okay=False), default=None, help=help_text
    )
    return option


_capacity_option = _file_option(
    "--capacity-file",
    f"Thresholds, scaling, finder and planning settings (default: {DEFAULT_PATH} beside opsready.yaml).",
)
_measured_option = _file_option(
    "--measured", "Measured capacity, JSON from `opsready capacity find` (default: capacity.json in the reports dir)."
)
_history_option = _file_option(
    "--history", "Traffic history CSV: timestamp,rps (default: planning.history of the capacity file)."
)


def _allow_option(fn: F) -> F:
    return click.option(
        "--allow-destructive",
        is_flag=True,
        help="Allow it on a real (not disposable) target; any target must be in safety.destructive_targets.",
    )(fn)


def _measured_path(config: Config, measured: Path | None) -> Path:
    return measured or config.resolve(config.reports_dir) / "capacity.json"


def _forecast(config: Config, planning: PlanningSettings, history: Path | None) -> Forecast:
    from opsready.capacity.forecast import forecast
    from opsready.traffic_history import load_history

    series = load_history(history or config.resolve(planning.history))
    return forecast(series, timedelta(seconds=planning.horizon), planning.holdout)


def _settings(config: Config, path: Path | None) -> CapacitySettings:
    from opsready.capacity.settings import load_settings

    return load_settings(path or config.resolve(DEFAULT_PATH), config.root)


def _stamp() -> str:
    return datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")


@click.group()
def capacity() -> None:
    """Capacity planning: load thresholds, the capacity finder, forecasting and the capacity plan."""


@capacity.command("run")
@click.argument("profile", required=False)
@_allow_option
@_capacity_option
@config_option
@handle_errors
def run_cmd(
    profile: str | None,
    allow_destructive: bool,
    capacity_file: Path | None,
    config_path: Path | None,
    target_name: str | None,
) -> None:
    """Run a load PROFILE (default: the planned load) and check the thresholds; exit 1 when one is violated."""
    from rich.markup import escape

    from opsready.capacity.journeys import locust_env
    from opsready.capacity.promql import judge_while_running, prepare
    from opsready.capacity.runner import LoadRun

    config = load(config_path)
    settings = _settings(config, capacity_file)
    chosen = settings.profile(profile)
    check_destructive(config, config.target(target_name), allow_destructive, "a load run", entry="capacity")
    target = open_target(config, target_name)
    ensure_running("capacity", target)
    workdir = config.resolve(config.reports_dir) / "load" / f"{_stamp()}-{chosen.name}"
    progress(f"running '{chosen.name}' against {target.base_url}; locust output in {workdir}")
    env = locust_env(settings, target)
    analyses = prepare(target, settings.promql)  # every query asked of Prometheus before any load starts
    with LoadRun(chosen, target.base_url, workdir, settings.locustfile, env=env) as running:
        progress(running.describe() + (f"; {len(analyses)} PromQL threshold(s) measured meanwhile" if analyses else ""))
        result, promql = judge_while_running(running, analyses)
    stats = result.stats()
    out.print(stats.describe())
    for name, endpoint in stats.endpoints:
        out.print(f"  {name}: {endpoint.requests} requests, p95 {(endpoint.quantile(0.95) or 0) * 1000:.0f} ms")
    verdict = settings.thresholds.verdict([stats])
    for line, ok in [(c.describe(), c.ok) for c in verdict.checks] + [(p.describe(), p.ok) for p in promql]:
        colour = "green" if ok else "red"
        out.print(f"  [{colour}]{escape(line)}[/{colour}]")
    held = verdict.ok and all(p.ok for p in promql)
    sys.exit(exitcodes.OK if held else exitcodes.NOT_READY)


@capacity.command("find")
@click.option("--profile", default=None, help="Profile giving the users to pace (default: finder.profile).")
@click.option("--start", type=float, default=None, help="First offered load, requests per second.")
@click.option("--limit", type=float, default=None, help="Highest load to offer, requests per second.")
@click.option("--step-duration", default=None, help="How long each step runs, e.g. '10s'.")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Result JSON file.")
@_allow_option
@_capacity_option
@config_option
@handle_errors
def find_cmd(
    *,
    allow_destructive: bool,
    profile: str | None,
    start: float | None,
    limit: float | None,
    step_duration: str | None,
    output: Path | None,
    capacity_file: Path | None,
    config_path: Path | None,
    target_name: str | None,
) -> None:
    """Find the highest sustainable throughput within the thresholds (the knee) and the resources used there."""
    from dataclasses import replace

    from opsready.capacity.drive import measure_capacity
    from opsready.capacity.measured import save_result
    from opsready.durations import parse_duration
    from opsready.errors import Loc

    config = load(config_path)
    settings = _settings(config, capacity_file)
    finder = settings.finder
    if profile:
        finder = replace(finder, profile=profile)
    if start is not None or limit is not None:
        finder = replace(
            finder,
            start=finder.start if start is None else start,
            limit=finder.limit if limit is None else limit,
        )
        if not 0 < finder.start <= finder.limit:
            raise UsageError("--start must be greater than 0 and not above --limit")
    if step_duration:
        finder = replace(finder, step_duration=parse_duration(step_duration, Loc("--step-duration")))
        if finder.warmup >= finder.step_duration:
            raise UsageError(f"--step-duration must be longer than the warm-up ({finder.warmup:g} s)")
    base = settings.profile(finder.profile)
    check_destructive(config, config.target(target_name), allow_destructive, "a capacity measurement", entry="capacity")
    target = open_target(config, target_name)
    ensure_running("capacity", target)
    reports = config.resolve(config.reports_dir)
    progress(f"finding the capacity of {target.base_url} with {base.users} users")
    result = measure_capacity(
        target, settings, reports / "load" / f"{_stamp()}-finder", finder=finder, progress=progress
    )
    path = save_result(result, output or _measured_path(config, None))
    table = Table("offered/s", "achieved/s", "p95", "errors", "verdict", box=None, pad_edge=False)
    for step in result.steps:
        p95 = f"{step.p95 * 1000:.0f} ms" if step.p95 is not None else "-"
        verdict = (
            "[green]ok[/green]"
            if step.ok
            else "[red]" + ("not sustained" if not step.sustained else "violated") + "[/red]"
        )
        table.add_row(
            f"{step.offered_rps:.1f}", f"{step.achieved_rps:.1f}", p95, f"{(step.error_rate or 0) * 100:.2f} %", verdict
        )
    out.print(table)
    prefix = "at least " if result.limited else ""
    out.print(f"capacity: {prefix}[bold]{result.knee_rps:.1f} requests/s[/bold] with {result.units} unit(s)")
    if result.resources is not None and result.estimate is not None:
        use, est = result.resources, result.estimate
        out.print(
            f"at the knee: {use.cpu_cores:.2f} cores ({use.service_cpu_per_unit * 100:.0f} % per unit), "
            f"{use.rss_bytes / 2**20:.0f} MB resident, {use.connections} connections"
        )
        out.print(
            f"estimate: {est.cpu_cores_per_100_rps:.2f} cores and {est.memory_mb_per_100_rps:.0f} MB "
            f"per 100 requests/s; {est.rps_per_unit:.1f} requests/s and {est.memory_mb_per_unit:.0f} MB per unit"
        )
    out.print(f"took {result.seconds:.0f} s over {len(result.steps)} steps; written to {path}")


@capacity.command("forecast")
@_history_option
@_measured_option
@_capacity_option
@config_option
@handle_errors
def forecast_cmd(
    history: Path | None,
    measured: Path | None,
    capacity_file: Path | None,
    config_path: Path | None,
    target_name: str | None,
) -> None:
    """Fit growth to the traffic history, check it on held-out weeks, forecast the peak and the exhaustion date."""
    from opsready.capacity.measured import load_result

    config = load(config_path)
    planning = _settings(config, capacity_file).planning
    fc = _forecast(config, planning, history)
    out.print(f"history: {fc.points} points, {fc.first:%Y-%m-%d} to {fc.last:%Y-%m-%d}, {len(fc.peaks)} whole weeks")
    out.print(
        f"current weekly peak: {fc.current_peak:.1f} requests/s; growth {fc.model.weekly_growth * 100:.2f} % a week"
    )
    out.print(
        f"check on the last {fc.validation.weeks} weeks held out: mean error {fc.validation.mape * 100:.1f} % "
        f"(actual {', '.join(f'{v:.0f}' for v in fc.validation.actual)}; "
        f"forecast {', '.join(f'{v:.0f}' for v in fc.validation.predicted)})"
    )
    out.print(f"forecast peak by {fc.horizon_end:%Y-%m-%d}: {fc.peak_at_horizon:.1f} requests/s")
    path = _measured_path(config, measured)
    if path.is_file():
        result = load_result(path)
        usable = result.knee_rps * (1 - planning.headroom)
        when = fc.exhausted_at(usable)
        shown = "not at this trend" if when is None else f"{when:%Y-%m-%d}"
        out.print(
            f"capacity {result.knee_rps:.1f}/s, usable {usable:.1f}/s with {planning.headroom:.0%} headroom: "
            f"exhausted {shown}"
        )
    else:
        out.print(f"no measured capacity in {path}: run `opsready capacity find` for the exhaustion date")


@capacity.command("plan")
@_history_option
@_measured_option
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Markdown file to write.")
@_capacity_option
@config_option
@handle_errors
def plan_cmd(
    *,
    history: Path | None,
    measured: Path | None,
    output: Path | None,
    capacity_file: Path | None,
    config_path: Path | None,
    target_name: str | None,
) -> None:
    """Render the capacity plan (reports/capacity-plan.md) from the measured capacity and the forecast."""
    from opsready.capacity.measured import load_result
    from opsready.capacity.plan import build_plan, render_plan

    config = load(config_path)
    planning = _settings(config, capacity_file).planning
    result = load_result(_measured_path(config, measured))
    plan = build_plan(result, _forecast(config, planning, history), planning)
    text = render_plan(plan, config.resolve(planning.template))
    path = output or config.resolve(planning.output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    out.print(plan.recommendation)
    out.print(f"written to {path}")


@capacity.command("status")
@click.option("--window", type=float, default=2.0, show_default=True, help="Seconds to measure CPU over.")
@config_option
@handle_errors
def status_cmd(window: float, config_path: Path | None, target_name: str | None) -> None:
    """Capacity monitoring: units, CPU, memory and connections of the target's components (read-only)."""
    from opsready.targets.capacity import observable, resource_use

    config = load(config_path)
    target = observable(open_target(config, target_name))
    before = target.resource_usage()
    time.sleep(max(0.2, window))
    after = target.resource_usage()
    use = resource_use(before, after)
    table = Table("component", "processes", "cpu (cores)", "memory", "connections", box=None, pad_edge=False)
    for component in after.components:
        old = next((c for c in before.components if c.name == component.name), component)
        cores = max(0.0, component.cpu_seconds - old.cpu_seconds) / use.seconds
        table.add_row(
            component.name,
            str(component.processes),
            f"{cores:.2f}",
            f"{component.rss_bytes / 2**20:.0f} MB",
            str(component.connections),
        )
    out.print(table)
    out.print(
        f"{after.service}: {after.units} unit(s), "
        f"{use.service_cpu_per_unit * 100:.0f} % CPU per unit over {use.seconds:.1f} s"
    )


@capacity.command("scale")
@click.argument("units", type=int)
@_allow_option
@_capacity_option
@config_option
@handle_errors
def scale_cmd(
    units: int, allow_destructive: bool, capacity_file: Path | None, config_path: Path | None, target_name: str | None
) -> None:
    """Run UNITS serving units (within the scaling bounds of the capacity file)."""
    from opsready.targets.capacity import scalable

    config = load(config_path)
    policy = _settings(config, capacity_file).scaling
    if policy is not None and not policy.min_units <= units <= policy.max_units:
        raise UsageError(f"{units} units is outside the scaling bounds {policy.min_units}..{policy.max_units}")
    check_destructive(config, config.target(target_name), allow_destructive, "scaling", entry="capacity")
    opened = open_target(config, target_name)
    ensure_running("capacity", opened)
    target = scalable(opened)
    before = target.capacity_units()
    reached = target.scale(units)
    out.print(f"{before} -> {reached} unit(s)")
