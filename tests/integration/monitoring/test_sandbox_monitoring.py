"""A sandbox with its monitoring: Prometheus scrapes every program, and the incident drill of a service that is
down (the api stopped, a real fault) measures its runbook's alert firing and its page arriving at opsready's
receiver; a broken rule fails the drill with "alert never fired". All on the real processes.

Time to alert and to page are held to the incident classification's ``alert_within`` and ``page_within`` for the
runbook's severity, and shown beside them (``-rA``). Firing is seen by polling Prometheus's /api/v1/alerts every
0.5 s (:data:`opsready.monitoring.watch.POLL`), so the firing time is known to that resolution; ``activeAt``
(pending) is Prometheus's own clock.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from opsready.config import Config
from opsready.errors import TargetError
from opsready.monitoring.client import PrometheusClient
from opsready.monitoring.rules import find_rule_files, read_alert_rules
from opsready.monitoring.silences import SilenceClient
from opsready.monitoring.watch import POLL
from opsready.sandbox.manager import Sandbox
from opsready.sandbox.monitoring import GROUP_WAIT

from .monitored import drill, prometheus
from .needs import NEEDS_MONITORING, ROOT

pytestmark = NEEDS_MONITORING


def test_status_says_monitoring_is_on_and_where(sandbox: Sandbox) -> None:
    """Prometheus, Alertmanager and (with PostgreSQL) the exporter run under supervisord; status names them."""
    status = sandbox.status()
    running = {p.name for p in status.programs if p.state == "RUNNING"}
    assert {"prometheus", "alertmanager", "api", "worker", "edge", "db_proxy", "postgres"} <= running
    assert status.monitoring is not None
    assert status.monitoring.describe().startswith(f"on: prometheus http://127.0.0.1:{status.ports.prometheus}")  # type: ignore[union-attr]
    assert len(status.monitoring.rule_files) == 4


def test_every_program_is_scraped_and_up(sandbox: Sandbox) -> None:
    """/api/v1/targets: one target per program, every one healthy, within a few scrape intervals of the start."""
    client = prometheus(sandbox)
    expected = {"api", "worker", "edge", "db_proxy", "prometheus", "alertmanager"}
    state = sandbox.status().monitoring
    if state is not None and state.postgres_exporter:
        expected.add("postgres")
    if state is not None and state.blackbox_exporter:
        expected.add("edge_probe")
    deadline = time.monotonic() + 60
    while True:
        health = {t.job: t.health for t in client.targets()}
        if set(health) == expected and set(health.values()) == {"up"}:
            break
        assert time.monotonic() < deadline, f"targets not all up within 60 s: {client.targets()}"
        time.sleep(1)
    # the exported figures are the programs' own: the worker has run batches, the edge proxy listens
    assert client.query('sum(opsready_worker_batches_total{outcome="ok"})')[0][1] > 0
    assert client.query('opsready_proxy_listening{proxy="edge"}')[0][1] == 1.0
    if "edge_probe" in expected:  # the probe from outside reached the api through the edge, quickly
        assert client.query('probe_success{job="edge_probe"}')[0][1] == 1.0
        assert client.query('probe_duration_seconds{job="edge_probe"}')[0][1] < 0.3


def test_alert_limits_read_prometheus_own_scrape_and_evaluation_intervals(sandbox: Sandbox) -> None:
    """The cadence a drill's alert limit is computed from is the running Prometheus's (the sandbox's 5 s), and every
    rule group of the shipped alert files is loaded with its evaluation interval."""
    cadence = prometheus(sandbox).cadence()
    assert (cadence.scrape, cadence.evaluation) == (5.0, 5.0), cadence
    shipped = {rule.group for path in find_rule_files(ROOT / "runbooks" / "alerts") for rule in read_alert_rules(path)}
    loaded = dict(cadence.groups)
    assert shipped and shipped <= set(loaded), (shipped, loaded)
    assert {loaded[group] for group in shipped} == {5.0}


def test_an_incident_drill_measures_its_runbooks_alert(config: Config, sandbox: Sandbox) -> None:
    """The service-down drill (the api stopped) records pending, firing and delivered beside the probe's detection,
    holds time to alert and time to page to the critical severity's targets, and shows the detection gap."""
    state = sandbox.status().monitoring
    assert state is not None
    silences = SilenceClient(state.alertmanager)
    during: list[dict[str, object]] = []

    def silenced_while_handled() -> None:  # the acknowledged alert as Alertmanager holds it, before the mitigation
        answer = httpx.get(f"{state.alertmanager}/api/v2/alerts", params={"filter": 'alertname="OrdersServiceDown"'})
        during.extend(a["status"] for a in answer.json())

    result = drill(config, sandbox, "incident-service-down", silenced_while_handled)
    events = {e.kind: e.at for e in reversed(result.timeline.events)}  # the first of each kind
    assert events["injected"] < events["alert_pending"] < events["alert_firing"] < events["alert_delivered"]
    assert events["alert_delivered"] < events["acknowledged"]  # the responder answers the page that arrived
    # Alertmanager holds a new group for group_wait, then posts at once: the page follows the firing within 2 s of
    # it (and the firing is known to the poll's resolution)
    firing_to_page = events["alert_delivered"] - events["alert_firing"]
    assert firing_to_page <= float(GROUP_WAIT.rstrip("s")) + 2.0 + POLL, firing_to_page
    to_alert, to_page = result.measurement("time to alert"), result.measurement("time to page")
    gap = result.measurement("detection gap (alert minus probe)")
    assert to_alert is not None and to_page is not None and gap is not None
    print(f"{to_alert.describe()}; {to_page.describe()}; {gap.describe()}; firing -> page {firing_to_page:.1f} s")
    assert to_alert.target == 120.0 and to_alert.ok and to_alert.seconds >= 60.0  # never before its `for: 1m`
    assert to_page.target == 180.0 and to_page.ok and to_page.seconds >= to_alert.seconds
    assert gap.seconds > 0  # the probes see a stopped api within seconds; the alert waits its minute
    assert "polled every 0.5 s" in result.alerting
    # acknowledging the page silenced exactly that alert while the incident was handled, and the drill's end
    # expired the silence
    assert events["acknowledged"] <= events["page_silenced"] < events["mitigated"]
    acks = [s for s in silences.find("acknowledged by automatic responder (CI): OrdersServiceDown")]
    assert len(acks) == 1 and acks[0].created_by == "automatic responder (CI)", acks
    assert {(m.name, m.value) for m in acks[0].matchers} >= {("alertname", "OrdersServiceDown")}
    assert during and all(a["state"] == "suppressed" and acks[0].id in a["silencedBy"] for a in during), during
    assert acks[0].state == "expired"


def test_a_broken_rule_fails_the_drill_with_alert_never_fired(config: Config, sandbox: Sandbox, suite: Path) -> None:
    """A rule that watches a job that does not exist (a renamed job, a typo) never fires: the drill fails with
    that reason after the severity's alert_within, and reports no alert time. The critical severity's 2 minutes are
    cut to 20 s in this suite's copy of the classification: the reason is the same, the wait a sixth."""
    rules = suite / "runbooks" / "alerts" / "service.yaml"
    text = rules.read_text()
    rules.write_text(text.replace('expr: up{job="api"} == 0', 'expr: up{job="orders-api"} == 0'))
    classification = suite / "runbooks" / "incident-classification.yaml"
    original = classification.read_text()
    assert "      alert_within: 2 minutes " in original
    classification.unlink()  # a link to the repository's: replaced by a copy, then the link again
    classification.write_text(original.replace("      alert_within: 2 minutes ", "      alert_within: 20 seconds ", 1))
    client = prometheus(sandbox)
    try:
        sandbox.supervisor().signal("prometheus", "HUP")  # Prometheus re-reads its rule files
        deadline = time.monotonic() + 30
        while not _reloaded(client):
            assert time.monotonic() < deadline, "Prometheus did not reload the broken rule"
            time.sleep(0.5)
        with pytest.raises(TargetError, match=r"alert never fired: OrdersServiceDown within 20(\.0)? s of the fault"):
            drill(config, sandbox, "incident-service-down")
    finally:
        classification.unlink()
        classification.symlink_to(ROOT / "runbooks" / "incident-classification.yaml")
        rules.write_text(text)
        sandbox.supervisor().signal("prometheus", "HUP")


def _reloaded(client: PrometheusClient) -> bool:
    """Whether Prometheus evaluates the broken rule now."""
    groups = httpx.get(f"{client.base_url}/api/v1/rules", timeout=5).json()["data"]["groups"]
    return any('job="orders-api"' in r["query"] for g in groups for r in g["rules"])
