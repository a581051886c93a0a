"""PromQL rollback triggers judging each batch of a rolling deploy on the fleet, from a Prometheus of the test's own
scraping HAProxy's built-in exporter (the users' requests as the balancer counts them): a good release is judged
successful batch by batch and kept; the release only users see failing is rolled back by the analysis, the
rollout's own triggers set out of the way, with every switched host restored newest first. Release 5 answers users
500 from 3.5 s after its start until HAProxy's health check (GET /, every 300 ms) takes it out: a burst of about
half a second that the 1 % ratio over 5 s must catch."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsready.config import load_config
from opsready.hosts.adapter import HostsTarget
from opsready.monitoring.analysis import soak_judges
from opsready.monitoring.client import PrometheusClient
from opsready.targets.registry import open_target
from opsready.targets.rolling import RolloutReport
from opsready.timeline import Timeline
from opsready.traffic import Traffic
from tests.prometheus_run import prometheus_scraping, wait_until

from .balancer import BACKEND, METRICS_PORT
from .fleet import Fleet
from .machine import DEGRADING_RELEASE, INITIAL_RELEASE
from .rolling_load import reset
from .target import rolling_yaml

pytestmark = [
    pytest.mark.hosts,
    pytest.mark.monitoring,
    pytest.mark.skipif(shutil.which("prometheus") is None, reason="Debian's prometheus package is not installed"),
]
RESPONSES = f'haproxy_backend_http_responses_total{{proxy="{BACKEND}"'
ERROR_RATIO = f'(sum(rate({RESPONSES},code="5xx"}}[5s])) or vector(0)) / sum(rate({RESPONSES}}}[5s]))'


@pytest.fixture(scope="module")
def prometheus(fleet: Fleet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusClient]:
    """Prometheus scraping the fleet's HAProxy exporter every second."""
    tmp = tmp_path_factory.mktemp("fleet-prometheus")
    with prometheus_scraping(tmp, {"balancer": [f"{fleet.balancer_address}:{METRICS_PORT}"]}, 1.0) as client:
        wait_until(lambda: bool(client.query(f"{RESPONSES}}}")), 30, "HAProxy's exporter scraped")
        yield client


@pytest.fixture
def judged(fleet: Fleet, prometheus: PrometheusClient, tmp_path: Path) -> Iterator[tuple[HostsTarget, Path]]:
    """The fleet as a rolling target with the team's monitoring and a PromQL error-ratio trigger; the rollout's own
    triggers are out of the way (error rate 100 %, 1,000 failed instance checks in a row), so the analysis is the
    judge. A 6 s soak per batch."""
    text = rolling_yaml(fleet, soak="6s").replace("max_error_rate: 2%", "max_error_rate: 100%")
    text = text.replace("      min_requests: 10\n", "      min_requests: 10\n      unready_after: 1000\n")
    text = text.replace(
        "    balancer:\n",
        f"    monitoring: {{prometheus: '{prometheus.base_url}', alertmanager: 'http://127.0.0.1:9'}}\n    balancer:\n",
        1,
    )
    text += f"""\
rollback_triggers:
  prometheus:
    - name: users-error-ratio
      query: '{ERROR_RATIO}'
      success: result < 0.01
      initial_delay: 1s
      interval: 1s
      failure_limit: 0
      inconclusive_limit: 2
"""
    path = tmp_path / "opsready.yaml"
    path.write_text(text, encoding="utf-8")
    target = open_target(load_config(path), "fleet")
    assert isinstance(target, HostsTarget)
    try:
        yield target, path
    finally:
        try:
            reset(fleet, target)
        finally:
            target.close()


def _roll(fleet: Fleet, target: HostsTarget, path: Path, version: str) -> tuple[RolloutReport, Timeline]:
    judges = soak_judges(target, load_config(path).triggers.prometheus)
    timeline = Timeline(f"rolling {version}")
    traffic = Traffic(fleet.balancer_url, clients=4, rate=20, max_seconds=90, paths=("/",)).start()
    try:
        time.sleep(0.5)
        report = target.roll_out(version, timeline, judges=judges)
    finally:
        traffic.stop()
    return report, timeline


def test_a_good_release_is_judged_batch_by_batch_and_kept(fleet: Fleet, judged: tuple[HostsTarget, Path]) -> None:
    target, path = judged
    report, timeline = _roll(fleet, target, path, "2")
    analyses = [e.detail for e in timeline.events if e.kind == "analysis"]
    print("\n".join(analyses))
    assert report.result == "succeeded" and report.switched == ("app1", "app2"), report
    assert [a.split(":", 1)[0] for a in analyses] == ["batch 1", "batch 2"]
    assert all(a.startswith(f"batch {n}: users-error-ratio: successful") for n, a in enumerate(analyses, 1)), analyses
    assert {s.version for s in target.instance_states()} == {"2"}


def test_a_release_only_users_see_failing_is_rolled_back_by_the_analysis(
    fleet: Fleet, judged: tuple[HostsTarget, Path]
) -> None:
    target, path = judged
    report, timeline = _roll(fleet, target, path, DEGRADING_RELEASE)
    analyses = [e.detail for e in timeline.events if e.kind == "analysis"]
    print("\n".join(analyses))
    hit = report.trigger
    assert report.result == "rolled_back" and hit is not None and hit.trigger == "promql", report
    assert "users-error-ratio: failed" in hit.evidence and "result < 0.01 not met" in hit.evidence, hit.evidence
    restored = report.restored
    assert restored == tuple(reversed(report.switched)) and restored[-1] == "app1", report
    assert {(s.version, s.serving) for s in target.instance_states()} == {(INITIAL_RELEASE, True)}
    assert {s.state for s in fleet.balancer.servers().values()} == {"ready"}
    detected = next(e for e in timeline.events if e.kind == "detected")
    assert detected.detail.startswith("promql: users-error-ratio: failed")
