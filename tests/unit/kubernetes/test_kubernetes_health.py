"""Health and hosts on Kubernetes: pods owned by the deployment (not lookalikes), their readiness and restarts, the
Service's endpoints, testinfra host specs, and the database seen through the service's readiness endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
import testinfra

from opsready.kubernetes.adapter import KubernetesTarget
from opsready.probes import platform
from opsready.targets.protocol import Target
from tests.unit.kubernetes.kubefake import IMAGE, PODS, FakeCluster
from tests.unit.profile.serve import serving


def test_instances_are_the_deployment_its_pods_and_the_service(cluster: FakeCluster, target: KubernetesTarget) -> None:
    """Every component RUNNING after a rollout; the processes probe agrees."""
    target.deploy("1.1.0")
    cluster.wait(lambda: len(cluster.objects(PODS)) == 2)
    instances = {i.name.split("/")[0]: i for i in target.instances()}
    assert set(instances) == {"deployment", "pod", "service"}
    pods = [i for i in target.instances() if i.name.startswith("pod/")]
    assert len(pods) == 2 and all(p.running and "release 1.1.0" in p.detail for p in pods)
    assert instances["service"].detail == "2/2 endpoints ready"
    assert platform.processes(target).ok


def test_lookalike_and_terminating_pods_are_not_the_services(cluster: FakeCluster, target: KubernetesTarget) -> None:
    """Pods with the right labels but another owner, or being deleted, are left out; a crash-looping one shows."""
    pod = next(iter(cluster.objects(PODS).values()))
    imposter = {
        **pod,
        "metadata": {**pod["metadata"], "name": "imposter", "ownerReferences": [{"uid": "x", "controller": True}]},
    }
    leaving = {**pod, "metadata": {**pod["metadata"], "name": "leaving", "deletionTimestamp": "2026-01-01T00:00:00Z"}}
    crashing = {
        **pod,
        "metadata": {**pod["metadata"], "name": "crashing"},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [
                {"name": "api", "restartCount": 7, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
            ],
        },
    }
    cluster.call(lambda: setattr(cluster.controller, "paused", True))  # keep the controller from tidying up
    for name, obj in (("imposter", imposter), ("leaving", leaving), ("crashing", crashing)):
        cluster.add_object(PODS, name, obj)
    names = {i.name: i for i in target.instances()}
    assert "pod/imposter" not in names and "pod/leaving" not in names
    assert names["pod/crashing"].state == "CRASHLOOPBACKOFF" and "restarts 7" in names["pod/crashing"].detail
    assert not platform.processes(target).ok


def test_testinfra_hosts_are_kubectl_specs_testinfra_understands(
    cluster: FakeCluster, target: KubernetesTarget
) -> None:
    """One kubectl:// spec per serving pod, with namespace, container and kubeconfig, parsed by testinfra itself."""
    hosts = target.testinfra_hosts()
    assert len(hosts) == 2
    for spec in hosts:
        backend = testinfra.get_host(spec).backend
        assert type(backend).__name__ == "KubectlBackend"
        assert backend.namespace == "orders" and backend.container == "api"
        assert backend.kubeconfig == target.options.kubeconfig
        assert backend.name in cluster.objects(PODS)


class _Ready(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/readyz" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def service() -> Iterator[str]:
    """A stand-in for the Service's URL that answers /readyz."""
    with serving(_Ready) as url:
        yield url


def test_the_database_is_checked_through_the_services_readiness(
    cluster: FakeCluster, make_target: object, service: str
) -> None:
    """check_database answers from /readyz; an unreachable service is a failed check, not an exception."""
    assert callable(make_target)
    body = f"""\
    namespace: orders
    deployment: orders
    container: api
    image: {IMAGE}
    service_url: {service}
"""
    target: Target = make_target(body)
    ok, detail = target.check_database()
    assert ok and "HTTP 200" in detail
    _Ready.status = 503
    try:
        assert target.check_database() == (False, "/readyz answered HTTP 503 (it checks the database)")
    finally:
        _Ready.status = 200
    dead: Target = make_target(body.replace(service, "http://127.0.0.1:9"))
    ok, detail = dead.check_database(timeout=1)
    assert not ok and "unreachable" in detail


def test_describe_and_releases_need_no_cluster(target: KubernetesTarget, cluster: FakeCluster) -> None:
    """describe() is for reports: it makes no request; releases come from the options."""
    description = target.describe()
    assert description.platform == "kubernetes" and ("namespace", "orders") in description.details
    assert [r.version for r in target.releases()] == ["1.0.0", "1.1.0", "1.2.0", "1.3.0-broken"]
    assert target.host_expectations().services == ()
    assert cluster.requests() == []


def test_restart_component_replaces_every_pod_like_rollout_restart(
    cluster: FakeCluster, target: KubernetesTarget
) -> None:
    """Remediable: a restartedAt template annotation (dry run first) makes new pods; links are refused clearly."""
    from opsready.errors import UsageError
    from opsready.targets.remediation import remediation_of

    before = set(cluster.objects(PODS))
    said = remediation_of(target).restart_component("orders", timeout=10)
    assert "restarted deployment orders: 2/2" in said
    annotations = cluster.deployment("orders")["spec"]["template"]["metadata"]["annotations"]
    assert "kubectl.kubernetes.io/restartedAt" in annotations
    cluster.wait(lambda: len(cluster.objects(PODS)) == 2 and not set(cluster.objects(PODS)) & before)
    assert target.links() == ()
    with pytest.raises(UsageError, match="not supported on platform 'kubernetes'"):
        target.reset_link("users")
    with pytest.raises(UsageError, match="no component 'postgres'"):
        target.restart_component("postgres")


def test_capabilities_the_platform_lacks_are_refused_by_name(target: KubernetesTarget) -> None:
    """Resource use, link latency, maintenance and troubleshooting are not offered: each accessor says so."""
    from opsready.errors import UsageError
    from opsready.targets.capacity import link_latency, observable, scalable
    from opsready.targets.diagnostics import diagnostics_of, remedies_of
    from opsready.targets.faults import faults_of
    from opsready.targets.maintenance import maintenance_of

    assert scalable(target) is target and faults_of(target) is target
    for refuse in (observable, link_latency, maintenance_of, diagnostics_of, remedies_of):
        with pytest.raises(UsageError, match="kubernetes"):
            refuse(target)
