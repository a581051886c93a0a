"""readiness.html: the numbers it shows, escaping, redaction of secrets, self-containment, coverage, trends, links."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsready.report import publish, read_history, readiness_score, render_html, render_markdown, summarize
from opsready.report.history import History
from opsready.report.jsonreport import load_schema, readiness_dict
from opsready.results import Artifact, RunbookInfo, RunbookStep, RunResult, ScenarioResult, StepRef, TrafficPoint
from opsready.targets.protocol import TargetDescription
from opsready.timeline import Event, Measurement, TimelineRecord

CANARIES = ("CANARY-url-pass", "CANARY-pw", "CANARY-token", "CANARY-note", "CANARY-detail")


def drill() -> ScenarioResult:
    """A rollback drill with traffic, an event detail carrying markup and a secret, and step tags."""
    events = (
        Event("deploy_started", 1.0, "w", "1.2.0 -> 1.3.0-errors"),
        Event("deployed", 1.5, "w", "1.3.0-errors"),
        Event("detected", 3.2, "w", 'error_rate <b>"33 %"</b> password=CANARY-detail'),
        Event("rollback_started", 3.2, "w", "error_rate"),
        Event("rolled_back", 3.7, "w", "1.2.0"),
        Event("healthy", 4.6, "w", "1.2.0"),
    )
    measurements = (
        Measurement("time to detect", "deployed", "detected", 1.7, 60.0),
        Measurement("time to roll back", "detected", "rolled_back", 0.5, 300.0),
        Measurement("time to recover", "deployed", "healthy", 3.1, 300.0),
        Measurement("time until healthy", "rolled_back", "healthy", 0.9, 0.5),
    )
    traffic = tuple(TrafficPoint(float(t), 50, 10 if 2 <= t < 4 else 0, 0.015 if t < 2 else 0.05) for t in range(8))
    return ScenarioResult(
        nodeid="steps/test_rollback.py::test_flawed",
        name="Flawed release <script>alert('pwned')</script> & rolled back",
        feature="Rollback procedures",
        outcome="passed",
        duration=8.4,
        runbooks=("rollback",),
        timeline=TimelineRecord("flawed", "2026-11-27T10:00:00.000Z", events, measurements),
        traffic=traffic,
        runbook_steps=(StepRef("rollback", 1), StepRef("rollback", 9)),
    )


def failure() -> ScenarioResult:
    """A failed scenario whose message quotes secrets."""
    return ScenarioResult(
        nodeid="steps/test_rollback.py::test_manual",
        name="Manual rollback",
        feature="Rollback procedures",
        outcome="failed",
        duration=2.0,
        runbooks=("rollback",),
        message="psql postgresql://ops:CANARY-url-pass@db/orders failed; Authorization: Bearer CANARY-token",
        runbook_steps=(StepRef("rollback", 2),),
    )


RUNBOOK = RunbookInfo(
    "rollback",
    "Roll back a release",
    "rollback",
    "runbooks/rollback.md",
    (RunbookStep(1, "Decide to roll back"), RunbookStep(2, "Announce it"), RunbookStep(3, "Check <where> you are")),
)


@pytest.fixture
def result(tmp_path: Path) -> RunResult:
    """A gate run with a drill, a failure, a runbook, artifacts on disk and a secret in a note."""
    (tmp_path / "reviews").mkdir()
    review = tmp_path / "reviews" / "emergency 1.1.0.md"
    review.write_text("# review\n")
    return RunResult(
        started="2026-11-27T10:00:00Z",
        finished="2026-11-27T10:01:00Z",
        duration=60.0,
        target=TargetDescription("sandbox", "sandbox", "http://127.0.0.1:18080"),
        scenarios=(drill(), failure()),
        selection="-m gate",
        notes=("db: token=CANARY-note",),
        kind="gate",
        run_id="20261127T100100Z-feed01",
        runbooks=(RUNBOOK,),
        artifacts=(
            Artifact("review", str(review), "2026-11-27T10:00:30Z"),
            Artifact("journal", str(tmp_path / "journals" / "old.json"), "2026-10-01T09:00:00Z"),
        ),
        training_releases=("1.3.0-errors",),
    )


def render(result: RunResult, tmp_path: Path, history: History | None = None) -> str:
    """The page with a score computed at the run's end, links relative to tmp_path."""
    runs = history.runs if history is not None else (summarize(result),)
    score = readiness_score(runs, result.runbooks, datetime(2026, 11, 27, 10, 1, tzinfo=UTC), min_score=30)
    return render_html(result, score, history, tmp_path)


def test_verdict_score_kpis_and_measurements_are_shown(result: RunResult, tmp_path: Path) -> None:
    """The numbers on the page are the run's: verdict, counts, score, KPI values, measured durations vs targets."""
    html = render(result, tmp_path)
    assert "NOT READY" in html
    assert "2 scenarios:\n    1 passed, 1 failed, 0 error, 0 skipped" in html
    # rollback: latest drill failed -> 0; every other category has no runbook -> 0
    assert 'id="readiness-score">0.0<' in html
    assert "below minimum" in html
    # 400 requests, 20 failed, all inside the bad-release window 1.0..4.6 s
    assert re.search(r'id="kpi-availability">.*?95\.00 %.*?missed', html, re.S)
    assert re.search(r'id="kpi-availability_outside_windows">.*?100\.00 %.*?met', html, re.S)
    assert re.search(r'id="kpi-deployment_success">.*?no data', html, re.S)  # the only deployment was training
    assert "<b>TTD</b>1.7 s" in html and "<b>TTR</b>3.1 s" in html and '<b>TTA</b><span class="muted">no data' in html
    assert re.search(r"time until healthy</td>.*?900 ms</td>.*?500 ms</td>.*?missed", html, re.S)
    assert html.count('<svg class="chart"') == 1
    assert 'class="window"' in html and "bad release 1.3.0-errors: deployed to healthy" in html


def test_text_is_escaped_everywhere(result: RunResult, tmp_path: Path) -> None:
    """Scenario names, event details (in SVG titles too) and step texts cannot inject markup."""
    html = render(result, tmp_path)
    assert "<script" not in html.lower()
    assert "Flawed release &lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; &amp; rolled back" in html
    assert "<b>&#34;33 %&#34;</b>" not in html and "&lt;b&gt;&#34;33 %&#34;&lt;/b&gt;" in html
    assert "Check &lt;where&gt; you are" in html


def test_secrets_are_redacted(result: RunResult, tmp_path: Path) -> None:
    """Canary secrets in messages, notes and event details never reach the page."""
    html = render(result, tmp_path)
    for canary in CANARIES:
        assert canary not in html
    assert "postgresql://ops:[REDACTED]@db/orders" in html
    assert "Bearer [REDACTED]" in html


def test_the_page_is_self_contained(result: RunResult, tmp_path: Path) -> None:
    """No script, no external stylesheet, font or image; a CSP forbids any load; the only links are local files."""
    html = render(result, tmp_path)
    assert "default-src 'none'" in html
    assert re.findall(r"<link[^>]*>", html) == ['<link rel="icon" href="data:,">']
    assert not re.search(r"\bsrc=", html)
    assert not re.search(r'href="(?!#|data:|reviews/|journals/)', html)
    assert "@import" not in html and "url(" not in html


def test_coverage_matrix_marks_each_step(result: RunResult, tmp_path: Path) -> None:
    """Step 1 verified by the drill, step 2 only by a failure, step 3 not at all; a tag naming step 9 is flagged."""
    html = render(result, tmp_path)
    section = html[html.index('id="coverage"') : html.index('id="trends"')]
    assert "1 of 3 steps verified; 2 linked scenarios" in section
    rows = re.findall(r"<tr><td class=\"num\">(\d+)</td>(.*?)</tr>", section, re.S)
    cells = {number: text for number, text in rows}
    assert "badge passed" in cells["1"] and "Flawed release" in cells["1"]
    assert "badge failed" in cells["2"] and "Manual rollback" in cells["2"]
    assert "not verified" in cells["3"]
    assert "no such step" in cells["9"]


def test_trends_come_from_the_history(result: RunResult, tmp_path: Path) -> None:
    """Three recorded runs: a time-to-recover trend of the drill and the recent runs table; no deployment data."""
    runs = tuple(summarize(replace(result, finished=f"2026-11-2{d}T10:01:00Z", run_id=f"run-{d}")) for d in (5, 6, 7))
    html = render(result, tmp_path, History(runs))
    trends = html[html.index('id="trends"') : html.index('id="artifacts"')]
    assert "Time to recover: Flawed release" in trends and "3 run(s); target 5 min 0 s" in trends
    assert trends.count('<svg class="trend-chart"') == 1
    assert trends.count('<circle class="point"') == 3
    assert "no recorded run made a deployment that counts" in trends
    assert [m for m in ("run-7", "run-6", "run-5") if m in trends] == ["run-7", "run-6", "run-5"]
    assert trends.index("run-7") < trends.index("run-5")


def test_artifacts_link_relative_to_the_page(result: RunResult, tmp_path: Path) -> None:
    """A review draft is linked relative to the page (escaped), and marked as written by this run."""
    html = render(result, tmp_path)
    assert '<a href="reviews/emergency%201.1.0.md">emergency 1.1.0.md</a>' in html
    section = html[html.index('id="artifacts"') :]
    assert section.count("this run") == 1  # the journal is older than the run


def test_publish_writes_every_report_and_the_history(result: RunResult, tmp_path: Path) -> None:
    """publish appends one history line per run and writes json (schema-valid, with the score), md and html."""
    reports = tmp_path / "reports"
    first = publish(result, reports, min_score=30)
    second = publish(replace(result, finished="2026-11-27T11:00:00Z", run_id="second"), reports)
    assert [p.name for p in second.files] == ["readiness.json", "readiness.md", "readiness.html"]
    assert all(p.is_file() for p in second.files)
    assert [r.run_id for r in read_history(reports / "history.jsonl").runs] == [result.run_id, "second"]
    assert first.readiness.min_score == 30 and not first.readiness.meets_minimum
    data = json.loads((reports / "readiness.json").read_text())
    assert data["kind"] == "gate" and data["run_id"] == "second"
    assert data["score"]["overall"] == 0.0 and data["score"]["min_score"] is None
    assert data["scenarios"][0]["runbook_steps"] == [
        {"runbook": "rollback", "step": 1},
        {"runbook": "rollback", "step": 9},
    ]
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed in this environment")
    jsonschema.Draft202012Validator(load_schema()).validate(data)
    jsonschema.Draft202012Validator(load_schema()).validate(readiness_dict(result, first.readiness))
    for path in (*second.files, reports / "history.jsonl"):
        text = path.read_text()
        assert not [c for c in CANARIES if c in text], path


def test_markdown_shows_the_score_against_the_minimum(result: RunResult) -> None:
    """The CI summary names the score, the minimum and whether it was met, and each category."""
    score = readiness_score((summarize(result),), result.runbooks, datetime(2026, 11, 27, 10, 1, tzinfo=UTC), 30)
    text = render_markdown(result, score)
    assert "Readiness score: **0.0/100** (minimum 30.0: **BELOW MINIMUM**)." in text
    assert "| rollback | 0.0 | rollback: 0 % (latest drill failed: Manual rollback) |" in text
    assert "| capacity | 0.0 | no runbook in this category |" in text
    assert "Readiness score" not in render_markdown(result)
