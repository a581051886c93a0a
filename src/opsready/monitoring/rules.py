"""Prometheus alert rule files as runbook material: read with line numbers, checked and unit-tested by promtool.

An alert is runbook material when it names the runbook that answers it (annotation ``runbook``: a runbook id) and a
severity of the incident classification (label ``severity``). promtool (Debian's ``prometheus`` package) is the
authority on what Prometheus accepts; its complaints become ``path:line: message`` findings.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from opsready.errors import EnvironmentProblem, Loc, ValidationError
from opsready.yamlsrc import YamlList, YamlMap, load_yaml

RULE_SUFFIXES = (".yaml", ".yml")
PROMTOOL_TIMEOUT = 60.0
_DURATION = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
# "file.yaml: 5:15: group ..." (a rule), "file.yaml: yaml: line 1: ..." (syntax), "  line 6: field ..." (unmarshal)
_AT_POSITION = re.compile(r"^(?P<path>.+?): (?P<line>\d+):\d+: (?P<msg>.*)$")
_YAML_LINE = re.compile(r"^(?P<path>.+?): yaml: line (?P<line>\d+): (?P<msg>.*)$")
_UNMARSHAL_HEAD = re.compile(r"^(?P<path>.+?): yaml: unmarshal errors:$")
_UNMARSHAL_LINE = re.compile(r"^\s+line (?P<line>\d+): (?P<msg>.*)$")
_PLAIN = re.compile(r"^(?P<path>\S+?\.ya?ml): (?P<msg>.*)$")


@dataclass(frozen=True)
class AlertRule:
    """One alerting rule of a rule file."""

    name: str
    group: str
    expr: str
    hold: float  # its ``for:`` in seconds (0 when absent)
    severity: str | None
    runbook: str | None
    loc: Loc

    def range_window(self) -> float:
        """The longest range selector of its expression (``[5m]`` -> 300 s; 0 for an instant expression)."""
        windows = [parse_prometheus_duration(m) for m in re.findall(r"\[([0-9a-z]+)(?::[0-9a-z]*)?\]", self.expr)]
        return max(windows, default=0.0)

    def alert_limit(self, scrape_interval: float, evaluation_interval: float) -> float:
        """The longest a step change may take to fire this alert: its range window and ``for:``, two scrapes,
        two evaluations and a second of slack."""
        return self.range_window() + self.hold + 2 * scrape_interval + 2 * evaluation_interval + 1.0


def parse_prometheus_duration(text: str) -> float:
    """Prometheus's duration syntax (``1h30m``, ``90s``, ``250ms``) in seconds; ValueError when it is not one."""
    if not text or _DURATION.sub("", text):
        raise ValueError(f"not a Prometheus duration: {text!r}")
    return float(sum(int(n) * _UNITS[unit] for n, unit in _DURATION.findall(text)))


def find_rule_files(directory: Path) -> list[Path]:
    """The rule files of a directory (not its subdirectories: promtool's unit tests live in ``tests/``)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in RULE_SUFFIXES and p.is_file())


def read_alert_rules(path: Path) -> tuple[AlertRule, ...]:
    """The alerting rules of one file (recording rules are skipped); a structure promtool would reject anyway is
    reported as a :class:`ValidationError` at its line, so the lint works without promtool too."""
    data = load_yaml(path)
    where = str(path)
    if not isinstance(data, YamlMap) or not isinstance(data.get("groups"), YamlList):
        raise ValidationError("a rule file holds a list 'groups'", Loc(where, getattr(data, "line", 1)))
    rules: list[AlertRule] = []
    groups: YamlList = data["groups"]
    for group, group_line in zip(groups, groups.item_lines, strict=True):
        if not isinstance(group, YamlMap) or not isinstance(group.get("rules"), YamlList):
            raise ValidationError("a rule group has a 'name' and a list 'rules'", Loc(where, group_line))
        entries: YamlList = group["rules"]
        for rule, line in zip(entries, entries.item_lines, strict=True):
            if isinstance(rule, YamlMap) and "alert" in rule:
                rules.append(_alert(rule, str(group.get("name", "")), Loc(where, line)))
    return tuple(rules)


def _alert(rule: YamlMap, group: str, loc: Loc) -> AlertRule:
    hold_text = str(rule.get("for", "0s"))
    try:
        hold = parse_prometheus_duration(hold_text)
    except ValueError as exc:
        raise ValidationError(str(exc), Loc(loc.path, rule.key_lines.get("for", loc.line))) from None
    labels, annotations = rule.get("labels"), rule.get("annotations")
    severity = labels.get("severity") if isinstance(labels, dict) else None
    runbook = annotations.get("runbook") if isinstance(annotations, dict) else None
    return AlertRule(
        name=str(rule["alert"]),
        group=group,
        expr=str(rule.get("expr", "")),
        hold=hold,
        severity=None if severity is None else str(severity),
        runbook=None if runbook is None else str(runbook),
        loc=loc,
    )


def promtool() -> str | None:
    """The promtool executable, when installed."""
    return shutil.which("promtool")


def _run_promtool(args: list[str]) -> subprocess.CompletedProcess[str]:
    tool = promtool()
    if tool is None:
        raise EnvironmentProblem(
            "promtool is not installed", hint="install Debian's 'prometheus' package (make test does, as root)"
        )
    try:
        return subprocess.run([tool, *args], capture_output=True, text=True, timeout=PROMTOOL_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise EnvironmentProblem(f"promtool {args[0]} {args[1]} took over {PROMTOOL_TIMEOUT:g} s") from None


def check_rules(paths: list[Path]) -> list[ValidationError]:
    """``promtool check rules``: nothing when every file is accepted, else one error per complaint at its line."""
    if not paths:
        return []
    result = _run_promtool(["check", "rules", *map(str, paths)])
    if result.returncode == 0:
        return []
    found = parse_promtool_errors(result.stdout + "\n" + result.stderr)
    return found or [ValidationError(f"promtool rejected the rules: {result.stderr.strip()}", Loc(str(paths[0])))]


def parse_promtool_errors(output: str) -> list[ValidationError]:
    """promtool's complaints as ``path:line`` errors (duplicates dropped, order kept)."""
    errors: dict[str, ValidationError] = {}
    pending: str | None = None  # the file whose unmarshal errors follow, one per line
    for line in output.splitlines():
        if pending is not None and (m := _UNMARSHAL_LINE.match(line)):
            error = ValidationError(m["msg"], Loc(pending, int(m["line"])))
        elif m := _UNMARSHAL_HEAD.match(line):
            pending = m["path"]
            continue
        elif (m := _AT_POSITION.match(line)) or (m := _YAML_LINE.match(line)):
            pending = None
            error = ValidationError(m["msg"], Loc(m["path"], int(m["line"])))
        elif m := _PLAIN.match(line.strip()):
            pending = None
            error = ValidationError(m["msg"], Loc(m["path"]))
        else:
            continue
        errors.setdefault(str(error), error)
    return list(errors.values())


@dataclass(frozen=True)
class RuleTestRun:
    """The outcome of ``promtool test rules``."""

    passed: bool
    output: str


def run_rule_tests(test_files: list[Path]) -> RuleTestRun:
    """``promtool test rules`` on unit-test files (each names the rule files it tests, relative to itself)."""
    result = _run_promtool(["test", "rules", *map(str, test_files)])
    return RuleTestRun(result.returncode == 0, (result.stdout + result.stderr).strip())
