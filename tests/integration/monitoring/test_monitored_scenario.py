"""The shipped Gherkin scenario of an incident, run by pytest on a sandbox with monitoring (markers `sandbox`,
`monitoring`): the scenarios' path measures the team's alerting too. A module of its own, so its minute and a half of
waiting for a production `for:` runs beside the other monitoring modules on a worker and a sandbox of its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opsready.config import Config
from opsready.sandbox.manager import Sandbox

from .needs import NEEDS_MONITORING, ROOT

pytestmark = NEEDS_MONITORING


def test_the_incident_scenario_measures_the_alert_when_pytest_runs_it(
    config: Config, sandbox: Sandbox, pytester: pytest.Pytester, tmp_path: Path
) -> None:
    """The shipped Gherkin scenario of a stopped orders service (features/incident_response.feature), run by pytest
    on a monitored target: its timeline holds the runbook's alert beside opsready's detection (pending, firing,
    delivered, in that order) and its times to detect, alert and page, within their targets, in readiness.json."""
    sandbox.wait_ready(60.0)  # a test before may just have started a program again
    reports = tmp_path / "reports"
    run = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT),
        str(ROOT / "steps" / "test_incident_response.py"), "-k", "stopped_orders_service",
        f"--opsready-config={config.path}", "--start-target=never", f"--opsready-reports={reports}",
    )  # fmt: skip
    run.assert_outcomes(passed=1)
    (scenario,) = json.loads((reports / "readiness.json").read_text())["scenarios"]
    events = scenario["timeline"]["events"]
    first = {e["kind"]: e["at"] for e in reversed(events)}
    order = ("injected", "detected", "alert_pending", "alert_firing", "alert_delivered")
    assert [first[k] for k in order] == sorted(first[k] for k in order), sorted(first)
    measured = {m["name"]: m for m in scenario["timeline"]["measurements"]}
    for name in ("time to detect", "time to alert", "time to page"):
        assert measured[name]["ok"] and measured[name]["target"], measured[name]
    print("; ".join(measured[n]["description"] for n in ("time to detect", "time to alert", "time to page")))
