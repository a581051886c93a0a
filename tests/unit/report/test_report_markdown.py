"""readiness.md: verdict marker, scenario and measurement tables, failures, target, escaping and redaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from opsready.report import render_markdown, write_markdown
from opsready.results import RunResult, ScenarioResult

MakeResult = Callable[..., RunResult]


def table_rows(text: str, header: str) -> list[str]:
    """The rows of the Markdown table that starts with ``header``."""
    lines = text.splitlines()
    start = lines.index(header) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def test_ready_verdict_line(ready: RunResult, tmp_path: Path) -> None:
    """A ready run says **READY** on its verdict line, with the counts."""
    path = tmp_path / "reports" / "readiness.md"
    write_markdown(ready, path)
    text = path.read_text(encoding="utf-8")
    assert "**READY**: 2 scenarios: 1 passed, 1 skipped." in text.splitlines()
    assert "NOT READY" not in text


def test_not_ready_verdict_line(not_ready: RunResult) -> None:
    """A run with a failure says **NOT READY** and how many measured durations missed their target."""
    lines = render_markdown(not_ready).splitlines()
    assert "**NOT READY**: 3 scenarios: 1 passed, 1 failed, 1 skipped." in lines
    assert "1 measured duration missed its target." in lines


def test_scenarios_table(not_ready: RunResult) -> None:
    """One row per scenario: outcome (failures stand out), name with '|' escaped, duration, runbooks."""
    rows = table_rows(render_markdown(not_ready), "| Outcome | Scenario | Feature | Duration | Runbooks |")
    assert rows == [
        "| passed | A bad release is rolled back | Rollback | 9.9 s | rollback, deployment |",
        "| **FAILED** | Deploy \\| switch drops no request | Deployment | 2.5 s | deployment |",
        "| skipped | Capacity | Capacity | 0 ms | none |",
    ]


def test_measured_durations_against_targets(ready: RunResult) -> None:
    """Each measurement: measured, target, and ok / MISSED / no target."""
    rows = table_rows(render_markdown(ready), "| Scenario | Measurement | Measured | Target | Result |")
    assert rows == [
        "| A bad release is rolled back | time to detect | 4.2 s | 1 min 0 s | ok |",
        "| A bad release is rolled back | time to roll back | 3.1 s | 5 min 0 s | ok |",
        "| A bad release is rolled back | time until healthy | 800 ms | 500 ms | **MISSED** |",
        "| A bad release is rolled back | time to recover | 8.1 s | none | no target |",
    ]


def test_failures_with_messages(not_ready: RunResult) -> None:
    """Failures are listed with their node id and full message in a text block."""
    text = render_markdown(not_ready)
    section = text.split("## Failures", 1)[1].split("\n## ", 1)[0]
    assert "### FAILED: Deploy \\| switch drops no request" in section
    assert "`steps/test_deployment.py::test_zero_dropped_requests`" in section
    assert "```text\nAssertionError: 3 requests failed during the switch\nassert 3 == 0\n```" in section
    assert "Capacity" not in section  # skips are not failures


def test_no_failures_section_when_ready(ready: RunResult) -> None:
    """A ready run has no Failures section."""
    assert "## Failures" not in render_markdown(ready)


def test_message_with_backticks_cannot_break_the_block(make: MakeResult, failed: ScenarioResult) -> None:
    """A message containing a code fence is wrapped in a longer fence."""
    text = render_markdown(make(replace(failed, message="got:\n```\nboom\n```")))
    assert "````text\ngot:\n```\nboom\n```\n````" in text


def test_target_description(ready: RunResult) -> None:
    """The target section lists name, platform, URL and details."""
    text = render_markdown(ready)
    assert "- Target: sandbox (sandbox) at http://127.0.0.1:8080" in text
    rows = table_rows(text, "| Property | Value |")
    assert rows == [
        "| name | sandbox |",
        "| platform | sandbox |",
        "| base_url | http://127.0.0.1:8080 |",
        "| database | postgresql |",
        "| release | 1.2.0 |",
    ]


def test_empty_run(make: MakeResult) -> None:
    """No scenarios and no target: still a complete report that says so."""
    text = render_markdown(make())
    assert "**NOT READY**: no scenario ran." in text
    assert "No scenario ran." in text
    assert "No durations were measured." in text
    assert "No target description was recorded." in text


def test_run_facts(ready: RunResult) -> None:
    """Start, end, duration and the selection are stated."""
    text = render_markdown(ready)
    assert "- Run: 2026-11-27T10:00:00Z to 2026-11-27T10:02:03Z (2 min 3 s)" in text
    assert "- Selection: -m rollback" in text
    assert "- sandbox database: postgresql" in text


def test_secrets_are_redacted(make: MakeResult, failed: ScenarioResult, ready: RunResult) -> None:
    """Canary secrets in messages, notes, target URL and details do not reach the Markdown."""
    canary = "CANARY-b41d2e"
    assert ready.target is not None
    target = replace(
        ready.target,
        base_url=f"https://admin:{canary}@ops.example.test",
        details=(("kubeconfig", f"client-key-data: {canary}"),),
    )
    scenario = replace(failed, message=f"password={canary}\ntoken: {canary}")
    result = replace(make(scenario, target=target), notes=(f"Bearer {canary}xyz",))
    text = render_markdown(result)
    assert canary not in text
    assert "https://admin:[REDACTED]@ops.example.test" in text
    assert "| kubeconfig | client-key-data: [REDACTED] |" in text
