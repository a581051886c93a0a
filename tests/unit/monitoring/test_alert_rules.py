"""The shipped alert rules (runbooks/alerts) as promtool sees them, and the reading of rule files and promtool's
complaints as path:line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.errors import ValidationError
from opsready.monitoring.rules import (
    check_rules,
    find_rule_files,
    parse_prometheus_duration,
    parse_promtool_errors,
    promtool,
    read_alert_rules,
    run_rule_tests,
)
from opsready.severity import SEVERITIES

ALERTS = Path(__file__).resolve().parents[3] / "runbooks" / "alerts"
needs_promtool = pytest.mark.skipif(
    promtool() is None, reason="promtool is not installed (Debian's prometheus package; make test installs it as root)"
)


@pytest.mark.monitoring
@needs_promtool
def test_promtool_accepts_the_shipped_rule_files() -> None:
    """`promtool check rules runbooks/alerts/*.yaml` finds nothing wrong."""
    files = find_rule_files(ALERTS)
    assert len(files) >= 4
    assert check_rules(files) == []


@pytest.mark.monitoring
@needs_promtool
def test_the_shipped_rules_pass_their_unit_tests() -> None:
    """`promtool test rules runbooks/alerts/tests/*.yaml`: each alert fires past its `for:`, and not before."""
    tests = sorted((ALERTS / "tests").glob("*.yaml"))
    assert len(tests) >= 4
    run = run_rule_tests(tests)
    assert run.passed, run.output


@pytest.mark.monitoring
@needs_promtool
def test_a_unit_test_that_expects_too_early_an_alert_fails(tmp_path: Path) -> None:
    """The unit tests can fail: expecting OrdersServiceDown 45 s into an outage (its for: is 1m) is refused."""
    text = (ALERTS / "tests" / "service_test.yaml").read_text().replace("../service.yaml", str(ALERTS / "service.yaml"))
    early = text.replace("eval_time: 2m               # down for 90 s", "eval_time: 75s  # down for 45 s", 1)
    assert early != text
    path = tmp_path / "early_test.yaml"
    path.write_text(early)
    run = run_rule_tests([path])
    assert not run.passed
    assert "OrdersServiceDown" in run.output


@pytest.mark.monitoring
@needs_promtool
def test_a_rule_promtool_rejects_is_reported_at_its_line(tmp_path: Path) -> None:
    """A broken expression and an unknown key: one error each, at the line promtool names."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: up ==\n        for: 1m\n")
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: up == 0\n        fr: 1m\n")
    errors = check_rules([bad, unknown])
    where = {str(e.loc): e.message for e in errors}
    assert f"{bad}:5" in where and "could not parse expression" in where[f"{bad}:5"]
    assert f"{unknown}:6" in where and "field fr not found" in where[f"{unknown}:6"]


def test_every_shipped_alert_names_a_runbook_and_a_severity() -> None:
    """Runbook material: each alert has a runbook id and a severity of the classification, and a `for:` of
    production rules (a minute or more, never tuned to zero for a drill)."""
    alerts = [a for path in find_rule_files(ALERTS) for a in read_alert_rules(path)]
    assert {a.name for a in alerts} >= {"OrdersServiceDown", "OrdersDatabaseDown", "OrdersNotFulfilled"}
    for alert in alerts:
        assert alert.severity in SEVERITIES, alert
        assert alert.runbook and alert.runbook.startswith("incident-"), alert
        assert alert.hold >= 60, alert


def test_the_alert_limit_adds_window_hold_scrapes_and_evaluations() -> None:
    """[2m] window + for 2m + two 5 s scrapes + two 5 s evaluations + 1 s = 261 s."""
    alerts = {a.name: a for a in read_alert_rules(ALERTS / "service.yaml")}
    error_rate = alerts["OrdersHighErrorRate"]
    assert error_rate.range_window() == 120.0
    assert error_rate.alert_limit(5.0, 5.0) == 261.0
    assert alerts["OrdersServiceDown"].range_window() == 0.0


@pytest.mark.parametrize(
    ("text", "seconds"), [("1m", 60.0), ("90s", 90.0), ("1h30m", 5400.0), ("250ms", 0.25), ("2d", 172800.0)]
)
def test_prometheus_durations(text: str, seconds: float) -> None:
    """Prometheus's own duration syntax."""
    assert parse_prometheus_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "1 m", "5", "1.5m", "m"])
def test_not_prometheus_durations(text: str) -> None:
    """Anything else is refused."""
    with pytest.raises(ValueError, match="not a Prometheus duration"):
        parse_prometheus_duration(text)


def test_a_bad_for_is_reported_at_its_line(tmp_path: Path) -> None:
    """`for: soon` is no duration: a ValidationError at that line, without promtool."""
    path = tmp_path / "r.yaml"
    path.write_text("groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: up == 0\n        for: soon\n")
    with pytest.raises(ValidationError) as caught:
        read_alert_rules(path)
    assert str(caught.value.loc) == f"{path}:6"


def test_promtool_output_becomes_path_line_errors() -> None:
    """The three shapes promtool prints: a rule at line:column, YAML syntax at a line, unmarshal errors by line."""
    output = (
        "Checking a.yaml\n  FAILED:\n"
        'a.yaml: 5:15: group "x", rule 1, "A": could not parse expression: 1:6: parse error\n'
        "b.yaml: yaml: unmarshal errors:\n  line 6: field fr not found in type rulefmt.RuleNode\n"
        "c.yaml: yaml: line 1: did not find expected node content\n"
        "c.yaml: yaml: line 1: did not find expected node content\n"
    )
    errors = [(str(e.loc), e.message) for e in parse_promtool_errors(output)]
    assert errors == [
        ("a.yaml:5", 'group "x", rule 1, "A": could not parse expression: 1:6: parse error'),
        ("b.yaml:6", "field fr not found in type rulefmt.RuleNode"),
        ("c.yaml:1", "did not find expected node content"),
    ]
