"""Entry point of the pytest plugin (``pytest11``): options, markers, run-wide state and report hooks.

This module stays light: targets, chaos, load and Kubernetes libraries are imported inside fixtures and hooks.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Generator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsready.plugin.state import RUN_KEY, RunState

MARKERS = {
    "gate": "part of the pre-release readiness gate (opsready gate runs `-m gate`)",
    "deployment": "deployment procedure drills (runbooks/deployment.md, emergency-deployment.md)",
    "rollback": "rollback drills: a bad release detected and rolled back, manual rollback (runbooks/rollback.md)",
    "destructive": "changes the target (deploys, faults): only on a target in safety.destructive_targets, and on a "
    "real (not disposable) target only with --allow-destructive",
    "chaos": "chaos experiments that inject faults and always revert them",
    "incident": "incident response drills",
    "capacity": "capacity and load threshold checks",
    "troubleshooting": "troubleshooting decision-tree drills",
    "maintenance": "maintenance and update procedure drills",
    "gameday": "game-day plan runs",
    "candidate": "the release-candidate gate's own scenarios (opsready gate --candidate VERSION); they name no "
    "release: the candidate comes from --candidate, the previous release from the target",
    "neutral": "a platform-neutral drill that names no release: the release-candidate gate runs it too",
    "cluster": "needs a real Kubernetes cluster (KUBECONFIG); skipped otherwise",
    "sandbox": "integration test against a real sandbox it starts itself",
    "monitoring": "needs Prometheus and Alertmanager (Debian's prometheus, prometheus-alertmanager; promtool for "
    "rule checks): alert rules, scrapes, pages",
    "hosts": "needs the test fleet (hosts in namespaces with sshd, behind HAProxy); skipped where it cannot be built",
    "runbook(id)": "links a scenario to the runbook it verifies (Gherkin tag @runbook:<id>; "
    "@runbook:<id>:<n> adds step=n, the numbered runbook step it verifies)",
}


def step_modules() -> list[str]:
    """Every module of the step library (``opsready.bdd.*``), loaded as plugins so features can use them."""
    import pkgutil

    import opsready.bdd

    return [f"opsready.bdd.{m.name}" for m in pkgutil.iter_modules(opsready.bdd.__path__) if not m.name.startswith("_")]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Options of the ``opsready`` group."""
    group = parser.getgroup("opsready", "operational readiness (opsready)")
    group.addoption(
        "--target",
        dest="opsready_target",
        metavar="NAME",
        default=None,
        help="target from opsready.yaml to drive (default: its default_target)",
    )
    group.addoption(
        "--opsready-config",
        dest="opsready_config",
        metavar="PATH",
        default=None,
        help="configuration file (default: opsready.yaml in rootdir or a parent, or $OPSREADY_CONFIG)",
    )
    group.addoption(
        "--start-target",
        dest="opsready_start_target",
        choices=("auto", "never"),
        default="auto",
        help="auto: start a stopped disposable target (the sandbox) for the session and stop it afterwards; "
        "never: require it running (default: auto)",
    )
    group.addoption(
        "--sandbox",
        dest="opsready_sandbox",
        choices=("auto", "use"),
        default=None,
        help=argparse.SUPPRESS,  # deprecated spelling of --start-target (use = never)
    )
    group.addoption(
        "--allow-destructive",
        dest="opsready_allow_destructive",
        action="store_true",
        help="allow destructive scenarios on a real (not disposable) target; it must be in "
        "safety.destructive_targets (as any target must)",
    )
    group.addoption(
        "--opsready-reports",
        dest="opsready_reports",
        metavar="DIR",
        default=None,
        help="write readiness.json, readiness.md (and, with --junitxml/--cucumberjson, those) here",
    )
    group.addoption(
        "--opsready-kind",
        dest="opsready_kind",
        choices=("gate", "gameday", "drill"),
        default="drill",
        help="what this run is, as recorded in the reports and the run history (default: drill)",
    )
    group.addoption(
        "--incident-webhook",
        dest="opsready_incident_webhook",
        metavar="URL",
        default=None,
        help="post incident drills' notices to this Slack-compatible webhook "
        "(default: $OPSREADY_INCIDENT_WEBHOOK; unset: never posted)",
    )
    group.addoption(
        "--opsready-min-score",
        dest="opsready_min_score",
        metavar="N",
        type=float,
        default=None,
        help="fail the run when the readiness score (0-100) is below N; needs --opsready-reports",
    )
    from opsready.plugin.candidate import add_options

    add_options(group)


def pytest_configure(config: pytest.Config) -> None:
    """Register markers, keep run-wide state in the stash, load the step library."""
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    config.stash[RUN_KEY] = RunState(started_wall=datetime.now(tz=UTC), started=time.monotonic())
    if config.pluginmanager.hasplugin("pytest-bdd") or config.pluginmanager.hasplugin("pytest_bdd"):
        for module in step_modules():
            if not config.pluginmanager.has_plugin(module):
                config.pluginmanager.import_plugin(module)
    config.pluginmanager.import_plugin("opsready.plugin.fixtures")
    config.pluginmanager.import_plugin("opsready.plugin.candidate")
    from opsready.plugin.candidate import check_options as check_candidate
    from opsready.plugin.reporting import check_options

    check_options(config)
    check_candidate(config)


def pytest_bdd_apply_tag(tag: str, function: object) -> object | None:
    """Turn Gherkin ``@runbook:<id>`` into ``pytest.mark.runbook("<id>")`` (colons are no marker names), and
    ``@runbook:<id>:<n>`` into ``pytest.mark.runbook("<id>", step=n)`` (a step that is no number is the linter's)."""
    if tag.startswith("runbook:"):
        rid, _, step = tag.split(":", 1)[1].partition(":")
        return (pytest.mark.runbook(rid, step=int(step)) if step.isdigit() else pytest.mark.runbook(rid))(function)
    return None


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Check every scenario's steps have definitions before anything runs (nothing half-done on the target)."""
    from opsready.plugin.candidate import deselect
    from opsready.plugin.preflight import missing_steps

    deselect(config, items)
    problems = missing_steps(session, items)
    if problems:
        tr = config.pluginmanager.get_plugin("terminalreporter")
        for line in problems:
            if tr is not None:
                tr.write_line(f"error: {line}", red=True)
        pytest.exit(f"{len(problems)} Gherkin step(s) have no definition; nothing was run", returncode=2)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Collect each test's outcome, runbook links and timeline for the reports."""
    report: pytest.TestReport = yield
    item.config.stash[RUN_KEY].record(item, report)
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write readiness.json, .md and .html and the history line when a reports directory was asked for."""
    directory = session.config.getoption("opsready_reports")
    state = session.config.stash.get(RUN_KEY, None)
    if directory and state is not None:
        from opsready.plugin.reporting import finish_reports

        finish_reports(session, state, Path(directory))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    """Measured durations against their targets, one line each."""
    state = config.stash.get(RUN_KEY, None)
    if state is None:
        return
    lines = state.measurement_lines()
    if lines:
        terminalreporter.section("opsready: measured timings")
        for line in lines:
            terminalreporter.write_line(line)
    if state.candidate_lines or state.refusal:
        terminalreporter.section("opsready: release candidate")
        for line in [*state.candidate_lines, *([f"refused: {state.refusal}"] if state.refusal else [])]:
            terminalreporter.write_line(line)
    if state.report_lines:
        terminalreporter.section("opsready: readiness score")
        for line in state.report_lines:
            terminalreporter.write_line(line)
