"""The long drills on a sandbox with monitoring, in a module (and so a sandbox and a pytest-xdist worker) of their
own beside test_sandbox_monitoring.py: a game-day scenario whose responder acknowledges the page that arrived, and
the network-degradation drill, whose alert comes from the blackbox exporter's probe through the edge. Each waits
for production alert windows (``for: 1m``)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from opsready.config import Config
from opsready.drills.gameday import GameDay, prepare_gameday, read_gameday
from opsready.monitoring.silences import SilenceClient
from opsready.sandbox.manager import Sandbox
from opsready.targets.registry import open_target

from .monitored import drill, prometheus
from .needs import NEEDS_MONITORING

pytestmark = NEEDS_MONITORING


GAMEDAY = """\
title: game day with the team's monitoring
date: 2026-12-03
target: sandbox
roles:
  incident_commander: Alex Morgan
  scribe: Blake Chen
  responders: [Casey Diaz]
load:
  clients: 2
  rate: 10
  max_duration: 4 minutes
scenarios:
  - name: the orders api is down
    experiment: api-stopped
    runbook: incident-service-down
    severity: critical
    time_box: 4 minutes
"""


def test_a_game_day_scenario_records_the_alert_and_acts_on_its_page(
    config: Config, sandbox: Sandbox, suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A game-day scenario (played in-process, unattended) on the monitored sandbox: the responder is shown the page
    Alertmanager delivered, acknowledges it (a silence of that alert, expired at the end), and the scenario's
    timeline and measurements carry time to alert and to page beside the probes' detection."""
    sandbox.wait_ready(60.0)
    monkeypatch.setenv("OPSREADY_CONFIG", str(config.path))
    plan_path = suite / "monitored-gameday.yaml"
    plan_path.write_text(GAMEDAY, encoding="utf-8")
    inputs = read_gameday(config, plan_path)
    target = open_target(config, inputs.plan.target)
    prepared = prepare_gameday(inputs, target)
    said: list[str] = []
    played = GameDay(inputs, target, prepared, auto=True, say=said.append).play()
    scenario = played.run.scenarios[0]
    assert scenario.outcome == "passed", (scenario.message, said)
    assert scenario.timeline is not None
    firsts = {e.kind: e for e in reversed(scenario.timeline.events)}
    order = ("injected", "detected", "alert_pending", "alert_firing", "alert_delivered", "acknowledged")
    assert [firsts[k].at for k in order] == sorted(firsts[k].at for k in order), sorted(firsts)
    assert firsts["page_silenced"].detail.startswith("the acknowledged alert: silenced OrdersServiceDown")
    measured = {m.name: m for m in scenario.timeline.measurements}
    assert measured["time to alert"].ok and measured["time to page"].ok, [m.describe() for m in measured.values()]
    print("; ".join(m.describe() for m in measured.values()))
    state = sandbox.status().monitoring
    assert state is not None
    acks = SilenceClient(state.alertmanager).find("acknowledged by ")
    assert acks and all(a.state == "expired" for a in acks), acks
    # the availability KPI the configuration asks of Prometheus, over the whole day and the scrape before it. The
    # service's own counter never saw the requests it missed while it was down; the edge counted each of them as a
    # connection it could not pass on, so the KPI fails, and the edge's count is what the day's traffic saw fail.
    # (Its value is not compared with the traffic's: in a day this short the service's series are born during it,
    # and increase() has no sample of theirs from before their first requests.)
    (kpi,) = played.run.measured_kpis
    assert kpi.key == "availability" and kpi.window >= scenario.duration + 5.0, kpi
    assert f"[{math.ceil(kpi.window)}s]" in kpi.detail, kpi.detail
    assert kpi.outcome == "failed" and kpi.value is not None and kpi.value < 0.999, kpi
    failed = sum(p.failed for p in scenario.traffic)
    edge = f'sum(increase(opsready_proxy_upstream_failures_total{{proxy="edge"}}[{math.ceil(kpi.window)}s]))'
    ((_, aborted),) = prometheus(sandbox).query(edge)
    print(
        f"availability by Prometheus: {kpi.value:.4f} over {kpi.window:.0f} s; edge aborted {aborted:.0f}, "
        f"the traffic saw {failed} fail"
    )
    assert failed > 0 and 0.85 * failed <= aborted <= 1.15 * failed + 30, (aborted, failed)


def test_latency_in_the_network_is_alerted_by_the_probe_from_outside(config: Config, sandbox: Sandbox) -> None:
    """The network-degradation drill (the edge adds 1 s): the service's own metrics see nothing, the blackbox
    exporter's probe through the edge does, and OrdersEntryPointSlow fires and pages within the high severity's
    targets."""
    state = sandbox.status().monitoring
    if state is None or not state.blackbox_exporter:
        pytest.skip("prometheus-blackbox-exporter is not installed (make installs it as root)")
    result = drill(config, sandbox, "incident-network-degradation")
    events = {e.kind: e for e in reversed(result.timeline.events)}
    assert events["alert_firing"].detail.startswith("OrdersEntryPointSlow firing"), events["alert_firing"]
    to_alert, to_page = result.measurement("time to alert"), result.measurement("time to page")
    assert to_alert is not None and to_page is not None
    print(f"{to_alert.describe()}; {to_page.describe()}")
    assert to_alert.ok and to_alert.seconds >= 60.0  # never before its `for: 1m`
    assert to_page.ok and to_page.seconds >= to_alert.seconds
