"""``opsready diagnose`` (walk the troubleshooting tree, read-only) and ``opsready remedy`` (apply a guide's fix)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape

from opsready.cli.common import config_option, err, handle_errors, load, open_target, out, progress
from opsready.config import Config
from opsready.errors import Loc, UsageError
from opsready.safety import check_destructive, ensure_running
from opsready.yamlsrc import parse_yaml

if TYPE_CHECKING:
    from opsready.troubleshooting.model import Tree

TREE = Path("runbooks") / "troubleshooting-tree.yaml"  # for --help; opsready.drills.troubleshooting resolves it
REMEDIES = ("restart", "resume", "reset-link", "end-blocking-sessions", "stop-culprit")
EXIT_HEALTHY, EXIT_PROBLEM, EXIT_INCONCLUSIVE = 0, 1, 3


def _probe_args(pairs: tuple[str, ...]) -> dict[str, object]:
    args: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--arg must be KEY=VALUE, got '{pair}'")
        args[key] = parse_yaml(value, "--arg") if value else ""
    return args


def _run_probe(config: Config, target_name: str | None, name: str, pairs: tuple[str, ...], as_json: bool) -> None:
    import json

    from opsready.probes.registry import parse_probe_call

    call = parse_probe_call(name, _probe_args(pairs), Loc("--probe"), Loc("--arg"))  # validated before the target
    target = open_target(config, target_name)
    ensure_running("diagnose", target)  # as it is: a stopped target is something to diagnose
    observation = call.run(target)
    if as_json:
        data = {
            "probe": observation.probe,
            "ok": observation.ok,
            "value": observation.value,
            "detail": observation.detail,
        }
        out.print(json.dumps(data, indent=2), markup=False)
    else:
        out.print(observation.describe(), markup=False)
    sys.exit(0 if observation.ok else 1)


def _list_probes() -> None:
    from opsready.probes.registry import all_probes

    for spec in all_probes().values():
        params = ", ".join(f"{p.name}" for p in spec.params)
        answers = f"; answers: {', '.join(spec.answers)}" if spec.answers else ""
        out.print(f"{spec.name}({params}): {spec.summary}{answers}", markup=False)


@click.command()
@click.option("--tree", type=click.Path(path_type=Path, dir_okay=False), default=None, help=f"Decision tree [{TREE}].")
@click.option("--json", "as_json", is_flag=True, help="Print the walk as JSON (schema opsready.diagnosis/1).")
@click.option(
    "--collect",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Also write the evidence bundle (logs, processes, connections, DB activity, metrics) here, redacted.",
)
@click.option("--time-limit", default=None, metavar="DURATION", help="Stop the walk after this long [the tree's].")
@click.option("--check", is_flag=True, help="Only validate the tree and its runbook links; touch no target.")
@click.option("--probe", "probe_name", default=None, metavar="NAME", help="Run one probe instead of the tree.")
@click.option("--arg", "probe_args", multiple=True, metavar="KEY=VALUE", help="An argument of --probe.")
@click.option("--list-probes", is_flag=True, help="List the probes a tree can use, with their answers.")
@config_option
@handle_errors
def diagnose(
    *,
    tree: Path | None,
    as_json: bool,
    collect: Path | None,
    time_limit: str | None,
    check: bool,
    probe_name: str | None,
    probe_args: tuple[str, ...],
    list_probes: bool,
    config_path: Path | None,
    target_name: str | None,
) -> None:
    """Walk the troubleshooting decision tree against the target and print the path, the evidence at each node,
    the diagnosis, the runbook to follow and its remedy. Read-only: nothing on the target changes.

    Exit code 0: healthy; 1: a problem was diagnosed; 3: the time limit ended the walk first; 2: bad input."""
    if list_probes:
        _list_probes()
        return
    config = load(config_path)
    if probe_name is not None:
        _run_probe(config, target_name, probe_name, probe_args, as_json)
        return
    from opsready.drills.troubleshooting import check_tree_at, tree_path
    from opsready.durations import parse_duration

    path = tree_path(config, tree)
    limit = parse_duration(time_limit, Loc("--time-limit")) if time_limit is not None else None
    loaded, problems = check_tree_at(path)
    if problems or loaded is None:
        for problem in problems:
            err.print(f"[bold red]error:[/bold red] {escape(problem.render())}", markup=True, highlight=False)
        sys.exit(2)
    if check:
        sizes = f"{len(loaded.questions)} questions, {len(loaded.diagnoses)} diagnoses"
        out.print(f"{path}: ok ({sizes}, slowest path {loaded.longest():g} s)", markup=False)
        return
    _diagnose(config, target_name, loaded, limit=limit, as_json=as_json, collect=collect)


def _diagnose(
    config: Config, target_name: str | None, tree: Tree, *, limit: float | None, as_json: bool, collect: Path | None
) -> None:
    from opsready.drills.troubleshooting import collect_evidence, diagnose
    from opsready.targets.diagnostics import diagnostics_of
    from opsready.troubleshooting.render import to_json, to_text
    from opsready.troubleshooting.walk import Step

    target = open_target(config, target_name)
    ensure_running("diagnose", target)  # as it is: a stopped target is something to diagnose (platform-down)
    diagnostics_of(target)  # a platform without the troubleshooting protocols is refused, not misdiagnosed

    def step(s: Step) -> None:
        progress(f"{s.node}: {s.outcome}{' ' + s.answer if s.answer else ''} ({s.seconds:.2f} s)")

    result = diagnose(tree, target, time_limit=limit, on_step=None if as_json else step)
    out.print(to_json(result) if as_json else to_text(result), markup=False, end="")
    if collect is not None:
        files = collect_evidence(target, result, collect)
        progress(f"evidence: {len(files)} file(s) in {collect} (secrets redacted)")
    if not result.complete:
        sys.exit(EXIT_INCONCLUSIVE)
    sys.exit(EXIT_HEALTHY if result.healthy else EXIT_PROBLEM)


@click.command()
@click.argument("action", type=click.Choice(REMEDIES))
@click.option(
    "--component", default=None, help="restart, resume: the component (api, worker, edge, db_proxy, postgres)."
)
@click.option("--link", default=None, help="reset-link: the link (edge, db).")
@click.option("--pgid", type=int, default=None, help="stop-culprit: the process group the diagnosis blames.")
@click.option(
    "--allow-destructive",
    is_flag=True,
    help="Allow it on a real (not disposable) target (any target must be in safety.destructive_targets); "
    "stop-culprit: also stop a --pgid that is neither the target's nor journaled for it.",
)
@config_option
@handle_errors
def remedy(
    *,
    action: str,
    component: str | None,
    link: str | None,
    pgid: int | None,
    allow_destructive: bool,
    config_path: Path | None,
    target_name: str | None,
) -> None:
    """Apply a remedy a troubleshooting guide prescribes (this changes the target; `opsready diagnose` names the
    remedy for its diagnosis). Roll back a release with `opsready rollback`.

    stop-culprit stops a process group only when the target proves it its own (a fault holder), a fault journal
    of the target names it, or you name it with --pgid and --allow-destructive; otherwise it refuses (exit 2)."""
    from opsready.drills.troubleshooting import apply_named
    from opsready.troubleshooting.model import Remedy

    needs = {
        "restart": ("--component", component),
        "resume": ("--component", component),
        "reset-link": ("--link", link),
        "stop-culprit": ("--pgid", pgid),
    }
    if action in needs and needs[action][1] is None:
        raise UsageError(f"'{action}' needs {needs[action][0]}")
    config = load(config_path)
    check_destructive(config, config.target(target_name), allow_destructive, "a remedy", entry="remedy")
    target = open_target(config, target_name)
    ensure_running("remedy", target)
    spec = Remedy(action, component=component or "", link=link or "")
    result = apply_named(target, spec, pgid=pgid, allow_destructive=allow_destructive)
    out.print(f"{result.action}: {result.done}", markup=False)
