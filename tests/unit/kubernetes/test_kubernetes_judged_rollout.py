"""PromQL rollback triggers judge a Kubernetes rollout while it runs, like Argo Rollouts' background analysis: the
deployment procedure (``opsready deploy``) on the fake API server, its analyses asked of a real Prometheus scraping a
gauge the test sets, and a stand-in for the Service that answers every readiness check."""

from __future__ import annotations

import concurrent.futures
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from opsready.config import Config, load_config
from opsready.deploy.procedure import Procedures
from opsready.kubernetes.adapter import KubernetesTarget
from opsready.monitoring.client import PrometheusClient
from opsready.targets.registry import open_target
from opsready.timeline import Timeline
from tests.prometheus_run import wait_until
from tests.unit.kubernetes.kubefake import CANARY_TOKEN, IMAGE, RELEASES, FakeCluster, write_config
from tests.unit.monitoring.demo_prometheus import NEEDS_PROMETHEUS, demo_prometheus, set_gauge
from tests.unit.profile.serve import serving

pytestmark = [pytest.mark.monitoring, NEEDS_PROMETHEUS]
GAUGES: dict[str, float] = {"orders_error_ratio": 0.0}
CHECKLIST = """\
checklist: ready
description: the service answers
items:
  - name: Service is ready
    probe: readiness
"""


TRIGGERS = """\
rollback_triggers:
  smoke_test: false
  soak: 2s
  prometheus:
    - name: orders-error-ratio
      query: orders_error_ratio{service="api"}
      success: result < 0.05
      interval: 500ms
deployment:
  pre_checklist: ready.yaml
  post_checklist: ready.yaml
"""


class _Service(BaseHTTPRequestHandler):
    """Every pod behind the Service is fine as far as its HTTP endpoints go: PromQL is what judges the release."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusClient]:
    """Prometheus scraping this module's error ratio every second."""
    with demo_prometheus(tmp_path_factory.mktemp("prometheus"), GAUGES, "orders_error_ratio") as client:
        yield client


@pytest.fixture
def cluster() -> Iterator[FakeCluster]:
    """``orders`` at 1.0.0 with two replicas; a new release's pods take the whole (scaled) progress deadline of 60 s
    when its image never gets ready."""
    fake = FakeCluster(namespace="orders", token=CANARY_TOKEN).start()
    try:
        fake.add_deployment("orders", IMAGE.format(version="1.0.0"), replicas=2, progress_deadline=600)
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def service() -> Iterator[str]:
    with serving(_Service) as url:
        yield url


def _config(tmp_path: Path, cluster: FakeCluster, service: str, prometheus: PrometheusClient) -> Config:
    (tmp_path / "ready.yaml").write_text(CHECKLIST, encoding="utf-8")
    options = f"""\
    namespace: orders
    deployment: orders
    container: api
    image: {IMAGE}
    service_url: {service}
    releases: [{", ".join(RELEASES)}]
    poll_interval: 100ms
    rollout_timeout: 2 minutes
    monitoring:
      prometheus: {prometheus.base_url}
      alertmanager: http://127.0.0.1:9
"""
    path = write_config(tmp_path, cluster.kubeconfig(tmp_path / "kubeconfig"), options)
    path.write_text(path.read_text() + TRIGGERS, encoding="utf-8")
    return load_config(path)


def _deploy(config: Config, version: str) -> tuple[object, Timeline]:
    target = open_target(config, "k8s")
    assert isinstance(target, KubernetesTarget)
    timeline = Timeline(f"deploy {version}")
    try:
        outcome = Procedures(config, target, timeline).deploy(version)
    finally:
        target.close()
    return outcome, timeline


def _queries_answered(prometheus: PrometheusClient) -> float:
    """How many instant queries Prometheus has answered (its own counter: the analyses are its only askers)."""
    with urllib.request.urlopen(f"{prometheus.base_url}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("prometheus_http_requests_total{") and 'handler="/api/v1/query"' in line
    )


def test_a_failing_analysis_stops_the_rollout_half_way_and_rolls_it_back(
    tmp_path: Path, cluster: FakeCluster, service: str, prometheus: PrometheusClient
) -> None:
    """1.1.0's pods never get ready (the rollout would wait a minute for its progress deadline) and its error ratio
    fails the PromQL trigger: the rollout is stopped at the trigger's first measurement, with one of two pods
    replaced at most, and undone; the timeline measures detection from the rollout's start, since it never finished."""
    cluster.controller.stuck_images.add(IMAGE.format(version="1.1.0"))
    set_gauge(prometheus, GAUGES, "orders_error_ratio", 0.5)
    outcome, timeline = _deploy(_config(tmp_path, cluster, service, prometheus), "1.1.0")
    assert outcome.result == "rolled_back", outcome  # type: ignore[attr-defined]
    hit = outcome.trigger  # type: ignore[attr-defined]
    assert hit.trigger == "promql", hit
    # how far it got depends on the controller's pace ("1 out of 2 new replicas have been updated", or still
    # "waiting for the deployment spec update to be observed" when the first measurement came first)
    assert hit.evidence.startswith("orders: orders-error-ratio: failed after 1 measurement"), hit
    assert "(stopped while " in hit.evidence, hit
    kinds = [e.kind for e in timeline.events]
    assert "deployed" not in kinds and "soak_started" not in kinds, kinds
    assert kinds.index("rollout_stopped") < kinds.index("rolled_back") < kinds.index("healthy"), kinds
    measured = {m.name: m for m in timeline.measurements}
    assert measured["time to detect"].ok and measured["time to recover"].ok, measured
    # stopped long before the progress deadline (60 s here) would have ended the wait
    assert measured["time to detect"].seconds < 10, measured["time to detect"]
    dep = cluster.deployment("orders")
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == IMAGE.format(version="1.0.0")
    assert dep["status"]["availableReplicas"] == 2, dep["status"]


def test_a_good_release_is_judged_through_its_rollout_and_soak(
    tmp_path: Path, cluster: FakeCluster, service: str, prometheus: PrometheusClient
) -> None:
    """With the error ratio under the limit the rollout finishes, the same analysis carries on through the soak, and
    the release stays. The analysis asks Prometheus while the rollout is held (the controller paused), before the
    release is deployed: it is judged from the rollout's start, not only in the soak."""
    set_gauge(prometheus, GAUGES, "orders_error_ratio", 0.01)
    config = _config(tmp_path, cluster, service, prometheus)
    cluster.call(lambda: setattr(cluster.controller, "paused", True))
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        deploying = pool.submit(_deploy, config, "1.2.0")
        try:
            wait_until(lambda: cluster.deployment("orders")["metadata"].get("generation", 1) > 1, 30, "the switch")
            before = _queries_answered(prometheus)
            wait_until(lambda: _queries_answered(prometheus) >= before + 2, 30, "two queries while the rollout is held")
            assert not deploying.done(), "the rollout cannot finish while the controller is paused"
            held = cluster.deployment("orders")
            assert held["status"]["observedGeneration"] < held["metadata"]["generation"], held["status"]
        finally:
            cluster.call(lambda: setattr(cluster.controller, "paused", False))
        outcome, timeline = deploying.result(timeout=120)
    assert outcome.result == "succeeded", outcome  # type: ignore[attr-defined]
    (analysis,) = [e for e in timeline.events if e.kind == "analysis"]
    assert analysis.detail.startswith("orders-error-ratio: successful"), analysis.detail
    dep = cluster.deployment("orders")
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == IMAGE.format(version="1.2.0")
