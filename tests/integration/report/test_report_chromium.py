"""readiness.html in a real browser: it renders, its charts are there, the console stays silent; a screenshot is kept.

Uses Debian's chromium (``make test`` installs it when missing); without it the test skips and says so.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from opsready.report import publish
from opsready.results import RunResult
from tests.integration.report.report_browser import chromium, png_size, render

pytestmark = pytest.mark.skipif(
    chromium() is None, reason="chromium is not installed (make test installs Debian's chromium when run as root)"
)


def test_the_report_renders_with_charts_and_no_console_errors(
    sample_run: RunResult, tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    """The published page loads, shows verdict, score and KPIs, draws every chart, logs nothing; screenshot saved."""
    reports = tmp_path / "reports"
    published = publish(sample_run, reports, min_score=50)
    page = published.files[-1]
    rendered = render(page, tmp_path / "readiness.png", tmp_path / "profile")
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    assert rendered.console == (), "\n".join(rendered.console)
    dom = rendered.dom
    assert "NOT READY" in dom
    assert f'id="readiness-score">{published.readiness.overall:.1f}' in dom
    assert "96.25 %" in dom  # availability over the run: 1040 requests, 39 failed
    # two scenarios ran background traffic, one only has events; each trend has its chart
    assert len(re.findall(r'<svg class="chart"', dom)) == 3
    assert dom.count('<polyline class="latency"') >= 2
    assert dom.count('<rect class="errors"') >= 1
    assert dom.count('<rect class="window"') == 3
    assert len(re.findall(r'<svg class="trend-chart"', dom)) == 3
    assert "<script" not in dom.lower()
    assert png_size(rendered.screenshot) == (1200, 2400)
    assert rendered.screenshot.stat().st_size > 50_000, "the screenshot looks blank"
    kept = pytestconfig.rootpath / "reports" / "readiness-screenshot.png"
    kept.parent.mkdir(exist_ok=True)
    shutil.copyfile(rendered.screenshot, kept)


def test_console_errors_would_be_caught(tmp_path: Path) -> None:
    """The check above can fail: a page that throws is reported with its console line."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><link rel="icon" href="data:,"><p>x</p><script>undefinedFunction();</script>')
    rendered = render(page, tmp_path / "broken.png", tmp_path / "profile", size=(400, 300))
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    assert any("undefinedFunction is not defined" in line for line in rendered.console), rendered.stderr[-2000:]
