"""``opsready gate``: the pre-release readiness gate for CI."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from opsready import exitcodes
from opsready.cli.common import err, exit_stopped, handle_errors, load, out
from opsready.cli.runbooks import run_lint

CANDIDATE_SELECTION = "candidate or neutral"  # the candidate's own scenarios and the platform-neutral drills
DRILLS_ONLY_SELECTION = "neutral"


def _read_report(path: Path) -> dict[str, Any] | None:
    """This run's readiness.json, or None when the run wrote none (pytest stopped before the reports)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def exit_code(pytest_code: int, report: dict[str, Any] | None) -> int:
    """The gate's exit code (:mod:`opsready.exitcodes`): it follows the verdict the report computed
    (RunResult.verdict), never pytest's code.

    OK ready (and the score meets --min-score); NOT_READY not ready, below the minimum, or no report written;
    BAD_INPUT bad input (pytest's usage error); INTERRUPTED (130) an interrupted run. (A refused release-candidate
    gate exits REFUSED before this is asked.)
    """
    import pytest

    if pytest_code == pytest.ExitCode.USAGE_ERROR:
        return exitcodes.BAD_INPUT
    if pytest_code == pytest.ExitCode.INTERRUPTED:
        return exitcodes.INTERRUPTED
    if report is None or report.get("verdict") != "ready":
        return exitcodes.NOT_READY
    score = report.get("score")
    if isinstance(score, dict) and score.get("meets_minimum") is False:
        return exitcodes.NOT_READY
    return exitcodes.OK


class _Refusal:
    """Catches the release-candidate gate's refusal from the in-process pytest run (pytest's own code 4 is a
    usage error, so the refusal is read from the run's state, not from the code)."""

    message = ""

    def pytest_unconfigure(self, config: Any) -> None:
        """Keep the refusal the plugin recorded."""
        from opsready.plugin.state import RUN_KEY

        state = config.stash.get(RUN_KEY, None)
        if state is not None:
            self.message = state.refusal


def _summary(path: Path, data: dict[str, Any] | None) -> None:
    """The verdict line (the measured timings were printed by the plugin, per scenario)."""
    if data is None:
        err.print(f"no readable report at {path}: not ready")
        return
    counts: dict[str, int] = {}
    for scenario in data.get("scenarios", []):
        counts[scenario["outcome"]] = counts.get(scenario["outcome"], 0) + 1
    missed = [m for m in data.get("measurements", []) if not m.get("ok", True)]
    verdict = data.get("verdict", "unknown")
    colour = "green" if verdict == "ready" else "red"
    shown = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    out.print(f"[bold {colour}]{verdict.upper()}[/bold {colour}] ({shown}; {len(missed)} target(s) missed)")
    for scenario in data.get("scenarios", []):
        if scenario["outcome"] != "skipped":
            continue
        if scenario.get("expected_skip"):
            out.print(f"skipped as expected: {scenario['name']} ({scenario['expected_skip']})")
        else:
            why = scenario.get("message") or "no reason given"
            out.print(
                f"[bold red]skipped, not expected[/bold red]: {scenario['name']} ({why}); "
                "make it run, or declare it in gate.expected_skips with a reason"
            )
    score = data.get("score")
    if isinstance(score, dict):
        line = f"readiness score {score['overall']:.1f}/100"
        if score.get("min_score") is not None:
            met = "met" if score.get("meets_minimum") else "[bold red]BELOW MINIMUM, the gate fails[/bold red]"
            line += f" (minimum {score['min_score']:.1f}: {met})"
        out.print(line)
    out.print(
        f"reports: {path.parent}/readiness.html, readiness.md, readiness.json, history.jsonl, junit.xml, cucumber.json"
    )


def _job_summary(path: Path) -> None:
    """Append readiness.md to the CI job summary when the CI provides one ($GITHUB_STEP_SUMMARY)."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if not summary or not path.is_file():
        return
    try:
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(path.read_text(encoding="utf-8") + "\n")
    except OSError as exc:
        err.print(f"could not append to the job summary {summary}: {exc.strerror}")


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--target", "target_name", metavar="NAME", default=None, help="Target from opsready.yaml.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Configuration file (default: opsready.yaml here or in a parent).",
)
@click.option(
    "--reports",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where to write reports (default: reports_dir from opsready.yaml).",
)
@click.option(
    "--min-score",
    type=click.FloatRange(0, 100),
    default=None,
    metavar="N",
    help="Fail the gate (exit 1) when the readiness score (0-100) is below N.",
)
@click.option(
    "--allow-destructive",
    is_flag=True,
    help="Run the destructive gate scenarios on a real (not disposable) target; it must be in "
    "safety.destructive_targets (passed on to pytest).",
)
@click.option(
    "--candidate",
    metavar="VERSION",
    default=None,
    help="Gate this release candidate (docs/candidate-gate.md): deploy it by the runbook over the release the target "
    "serves, rehearse a rollback to that release and forward again, run the platform-neutral drills; leaves the "
    "candidate serving when READY, the previous release when not. Refused (exit 4) when the target does not know it, "
    "only some hosts have it, the target serves no release, or it already serves.",
)
@click.option(
    "--drills-only",
    is_flag=True,
    help="With --candidate that already serves: run only the platform-neutral drills, deploy nothing.",
)
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
@handle_errors
def gate(  # noqa: PLR0917  # click passes every option
    target_name: str | None,
    config_path: Path | None,
    reports: Path | None,
    min_score: float | None,
    allow_destructive: bool,
    candidate: str | None,
    drills_only: bool,
    pytest_args: tuple[str, ...],
) -> None:
    """Run the readiness gate: lint runbooks, run `pytest -m gate` against the target, write reports.

    \b
    Writes readiness.html, readiness.json, readiness.md (for a CI job summary; appended to
    $GITHUB_STEP_SUMMARY when set), junit.xml and cucumber.json, and records the run in history.jsonl.
    Exit code 0 when the verdict is READY, 1 when it is NOT READY (a scenario failed, a gate scenario was skipped
    without a gate.expected_skips entry, nothing ran, or the readiness score is below --min-score),
    2 for bad input (configuration, runbooks, Gherkin), 4 when the release-candidate gate is refused (nothing was
    changed), 130 when interrupted (docs/exit-codes.md).
    With --candidate the selection is `-m "candidate or neutral"` (`-m neutral` with --drills-only).
    A stopped disposable target (the sandbox) is started for the gate and stopped after it (docs/design.md,
    "Safety and lifecycle"). Extra arguments after -- go to pytest.
    """
    import pytest

    config = load(config_path)
    config.target(target_name)
    if config.kpis.checks:  # a KPI query promtool rejects is a mistake at its line, before anything starts
        from opsready.monitoring.analysis import check_queries_offline

        check_queries_offline(config.kpis.checks)
    if drills_only and not candidate:
        err.print("error: --drills-only needs --candidate VERSION (the release that already serves)")
        sys.exit(exitcodes.BAD_INPUT)
    if not run_lint(config.root):
        sys.exit(exitcodes.BAD_INPUT)
    directory = (reports or config.resolve(config.reports_dir)).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    args = [
        str(config.root / "steps"),
        "-m",
        (DRILLS_ONLY_SELECTION if drills_only else CANDIDATE_SELECTION) if candidate else "gate",
        "-p",
        "no:cacheprovider",
        f"--rootdir={config.root}",
        f"--opsready-config={config.path}",
        f"--opsready-reports={directory}",
        "--opsready-kind=gate",
        f"--junitxml={directory / 'junit.xml'}",
        f"--cucumberjson={directory / 'cucumber.json'}",
    ]
    if target_name:
        args.append(f"--target={target_name}")
    if min_score is not None:
        args.append(f"--opsready-min-score={min_score}")
    if allow_destructive:
        args.append("--allow-destructive")
    if candidate:
        args.append(f"--candidate={candidate}")
    if drills_only:
        args.append("--drills-only")
    report_path = directory / "readiness.json"
    report_path.unlink(missing_ok=True)  # the verdict must be this run's, never a previous run's
    refusal = _Refusal()
    code = int(pytest.main([*args, *pytest_args], plugins=[refusal]))
    if refusal.message:
        err.print(f"[bold red]REFUSED[/bold red]: {escape(refusal.message)}", markup=True, highlight=False)
        sys.exit(exitcodes.REFUSED)
    report = _read_report(report_path)
    _summary(report_path, report)
    _job_summary(directory / "readiness.md")
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        err.print("no gate scenario was selected: not ready")
    final = exit_code(code, report)
    if final == exitcodes.INTERRUPTED:
        exit_stopped(signal.SIGINT, "interrupted")
    sys.exit(final)
