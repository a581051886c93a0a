"""Alert rules linked to runbooks both ways: every alert names a runbook and a severity, every incident runbook
has an alert that pages for it.

The rule files live in ``runbooks/alerts/*.yaml`` (Prometheus's format; promtool's unit tests in ``alerts/tests/``).
A suite that keeps that directory is held to it: an incident runbook no alert names is an error. A suite without it
(a fresh ``opsready init``) gets a warning per incident runbook instead: its monitoring is not runbook material yet.
"""

from __future__ import annotations

from pathlib import Path

from opsready.errors import Loc, ValidationError
from opsready.monitoring.rules import AlertRule, check_rules, find_rule_files, promtool, read_alert_rules
from opsready.runbooks.model import Runbook
from opsready.severity import SEVERITIES

ALERTS_DIR = "alerts"


def alerts_dir(runbooks_dir: Path) -> Path:
    """Where a suite keeps its alert rule files."""
    return runbooks_dir / ALERTS_DIR


def read_alerts(directory: Path) -> tuple[tuple[AlertRule, ...], list[ValidationError]]:
    """Every alert of the rule files, and each problem promtool (when installed) or the reader found."""
    files = find_rule_files(directory)
    problems: list[ValidationError] = []
    if files and promtool() is not None:
        problems.extend(check_rules(files))
    alerts: list[AlertRule] = []
    rejected = {e.loc.path for e in problems if e.loc is not None}
    for path in files:
        try:
            alerts.extend(read_alert_rules(path))
        except ValidationError as exc:
            if str(path) not in rejected:  # promtool has said it already, at its line
                problems.append(exc)
    return tuple(alerts), problems


def alert_findings(runbooks_dir: Path, runbooks: list[Runbook]) -> list[tuple[Loc, str, bool]]:
    """(where, what, is_error) for each broken link between alerts and runbooks."""
    directory = alerts_dir(runbooks_dir)
    kept = directory.is_dir()
    alerts, problems = read_alerts(directory) if kept else ((), [])
    findings = [(e.loc or Loc(str(directory)), e.message, True) for e in problems]
    known = {r.id: r for r in runbooks}
    for alert in alerts:
        findings.extend((alert.loc, message, True) for message in _alert_problems(alert, known))
    named = {a.runbook for a in alerts}
    for runbook in runbooks:
        if runbook.category == "incident" and runbook.id not in named:
            where = f"{directory}/*.yaml" if kept else f"{directory}/ (not kept by this suite)"
            message = (
                f"incident runbook '{runbook.id}' has no alert: no rule in {where} names it "
                f"(annotation runbook: {runbook.id})"
            )
            findings.append((runbook.loc(), message, kept))
    return findings


def _alert_problems(alert: AlertRule, known: dict[str, Runbook]) -> list[str]:
    problems = []
    if alert.severity is None:
        problems.append(f"alert '{alert.name}' has no label 'severity' (one of {', '.join(SEVERITIES)})")
    elif alert.severity not in SEVERITIES:
        problems.append(
            f"alert '{alert.name}': severity '{alert.severity}' is not one of the incident classification's "
            f"({', '.join(SEVERITIES)})"
        )
    if alert.runbook is None:
        problems.append(f"alert '{alert.name}' names no runbook (annotation 'runbook: <runbook id>')")
    elif alert.runbook not in known:
        problems.append(
            f"alert '{alert.name}' names runbook '{alert.runbook}', which does not exist "
            f"(known ids: {', '.join(sorted(known)) or 'none'})"
        )
    return problems
