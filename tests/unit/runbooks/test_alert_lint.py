"""`opsready runbooks lint` links alerts and incident runbooks both ways: an alert without a runbook (or with an
unknown one, or no severity) and an incident runbook without an alert are reported at their lines."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from opsready.monitoring.rules import promtool
from opsready.runbooks import lint

Writer = Callable[[str, str], Path]
TODAY = date(2026, 12, 1)
INCIDENT = """\
---
id: incident-down
title: "Incident: down"
owner: platform-operations
last_reviewed: 2026-11-27
category: incident
severity: critical
---
# Incident: down

## Overview
Nothing answers.

## Prerequisites
- Access to the target

## Steps
1. Check readiness: `opsready check post-deploy`.

## Rollback
- Nothing to undo.

## Contacts
- Primary (on-call engineer): [ON-CALL NAME]
- Escalation (team lead): [TEAM LEAD NAME]
"""
FEATURE = "@runbook:incident-down\nFeature: Down\n  Scenario: It is down\n    Given it is down\n"


def rule(alert: str, severity: str | None = "critical", runbook: str | None = "incident-down") -> str:
    labels = f"        labels:\n          severity: {severity}\n" if severity else ""
    notes = f"        annotations:\n          runbook: {runbook}\n" if runbook else ""
    head = f"groups:\n  - name: g\n    rules:\n      - alert: {alert}\n"
    return f"{head}        expr: up == 0\n        for: 1m\n{labels}{notes}"


@pytest.fixture
def suite(write_runbook: Writer, write_feature: Writer, runbooks_dir: Path) -> Path:
    """A suite with one incident runbook, verified by a scenario."""
    write_runbook("incidents/down.md", INCIDENT)
    write_feature("down.feature", FEATURE)
    return runbooks_dir


def findings(runbooks_dir: Path, features_dir: Path) -> list[tuple[str, str, str]]:
    report = lint(runbooks_dir, features_dir, today=TODAY)
    return [(str(p.loc), p.severity, p.message) for p in report.problems]


def test_an_incident_runbook_without_an_alert_is_an_error_where_alerts_are_kept(
    suite: Path, features_dir: Path
) -> None:
    """runbooks/alerts exists, but no rule names incident-down: an error at the runbook's id line."""
    (suite / "alerts").mkdir()
    [(where, severity, message)] = findings(suite, features_dir)
    assert (where, severity) == (f"{suite}/incidents/down.md:2", "error")
    assert "incident runbook 'incident-down' has no alert" in message


def test_without_an_alerts_directory_it_is_a_warning(suite: Path, features_dir: Path) -> None:
    """A fresh suite keeps no alert rules yet: the same finding, as a warning (the lint passes)."""
    [(where, severity, message)] = findings(suite, features_dir)
    assert (where, severity) == (f"{suite}/incidents/down.md:2", "warning")
    assert "not kept by this suite" in message
    assert lint(suite, features_dir, today=TODAY).ok


def test_an_alert_naming_the_runbook_satisfies_both_sides(suite: Path, features_dir: Path) -> None:
    """One alert with a severity and the runbook's id: nothing to report."""
    (suite / "alerts").mkdir()
    (suite / "alerts" / "down.yaml").write_text(rule("Down"))
    assert findings(suite, features_dir) == []


@pytest.mark.parametrize(
    ("severity", "runbook", "fragment"),
    [
        ("critical", None, "alert 'Down' names no runbook"),
        ("critical", "incident-gone", "names runbook 'incident-gone', which does not exist"),
        (None, "incident-down", "alert 'Down' has no label 'severity'"),
        ("urgent", "incident-down", "severity 'urgent' is not one of"),
    ],
)
def test_an_alert_without_a_runbook_or_severity_is_an_error_at_its_line(
    suite: Path, features_dir: Path, severity: str | None, runbook: str | None, fragment: str
) -> None:
    """Reported at the line of `- alert:` in the rule file."""
    (suite / "alerts").mkdir()
    path = suite / "alerts" / "down.yaml"
    path.write_text(rule("Down", severity, runbook) + rule("Fine").split("rules:\n", 1)[1])
    problems = [(w, m) for w, s, m in findings(suite, features_dir) if s == "error" and fragment in m]
    assert [w for w, _ in problems] == [f"{path}:4"]


@pytest.mark.monitoring
@pytest.mark.skipif(promtool() is None, reason="promtool is not installed (Debian's prometheus package)")
def test_a_rule_file_promtool_rejects_fails_the_lint_at_its_line_with_exit_2(suite: Path, features_dir: Path) -> None:
    """`opsready runbooks lint`: path:line: message from promtool, exit code 2, no traceback."""
    (suite / "alerts").mkdir()
    path = suite / "alerts" / "down.yaml"
    path.write_text(rule("Down").replace("expr: up == 0", "expr: up == (0"))
    result = subprocess.run(
        [sys.executable, "-m", "opsready.cli", "runbooks", "lint", "--root", str(suite.parent)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    text = result.stdout + result.stderr
    assert f"{path}:5: " in text and "could not parse expression" in text
    assert "Traceback" not in text
