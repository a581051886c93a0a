"""Real rollouts, rollbacks and faults on a real cluster (opt-in, marker `cluster`).

Runs when KUBECONFIG points at a reachable cluster with the reference system of deploy/k8s applied and its images
loaded (docs/kubernetes.md: the kind workflow); the target is `kind` from opsready.yaml, or $OPSREADY_K8S_TARGET.
Skips with the reason otherwise. Every test puts the release and replicas back as it found them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from opsready.config import Config, load_config
from opsready.errors import DeployError, OpsreadyError
from opsready.kubernetes.adapter import KubernetesTarget
from opsready.targets.faults import FaultSpec
from opsready.targets.registry import open_target

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def config() -> Config:
    """The suite's opsready.yaml."""
    return load_config()


@pytest.fixture(scope="module")
def kube(config: Config) -> Iterator[KubernetesTarget]:
    """The kubernetes target, or a skip saying why there is none."""
    if not os.environ.get("KUBECONFIG"):
        pytest.skip("cluster suite: KUBECONFIG is not set (see docs/kubernetes.md for the kind workflow)")
    name = os.environ.get("OPSREADY_K8S_TARGET", "kind")
    try:
        target = open_target(config, name)
        assert isinstance(target, KubernetesTarget), f"target '{name}' is not a kubernetes target"
        target.current_release()
    except OpsreadyError as exc:
        pytest.skip(f"cluster suite: target '{name}' is not reachable: {exc}")
    yield target
    target.close()


@pytest.fixture
def release(kube: KubernetesTarget) -> Iterator[str]:
    """The release running before the test; it is running again after it."""
    before = kube.current_release()
    yield before
    if kube.current_release() != before:
        kube.deploy(before, note="cluster suite: restore")


def test_deploy_then_roll_back_within_the_slo(kube: KubernetesTarget, release: str, config: Config) -> None:
    """A good release rolls out; the rollback to the previous one finishes within rollback_within."""
    other = "1.1.0" if release != "1.1.0" else "1.0.0"
    kube.deploy(other, note="cluster suite")
    assert kube.current_release() == other
    started = time.monotonic()
    record = kube.rollback("cluster suite")
    took = time.monotonic() - started
    assert record.version == release and kube.current_release() == release
    assert took <= config.slos.rollback_within, f"rollback took {took:.0f} s"
    assert kube.history()[-1].kind == "rollback"


def test_a_release_that_never_gets_ready_is_rolled_back(kube: KubernetesTarget, release: str) -> None:
    """1.3.0-unready fails its readiness probe: the progress deadline passes and the previous template returns."""
    with pytest.raises(DeployError, match="progress deadline"):
        kube.deploy("1.3.0-unready", note="cluster suite")
    assert kube.current_release() == release


@pytest.mark.parametrize("kind", ["scale-to-zero", "pod-terminate"])
def test_faults_are_reverted(kube: KubernetesTarget, kind: str) -> None:
    """Each Kubernetes fault is injected, reverted, verified, and leaves no residue."""
    deployment = kube.options.primary.deployment
    params = (
        (("deployment", deployment),)
        if kind == "scale-to-zero"
        else (("deployment", deployment), ("count", 1), ("grace_seconds", 5))
    )
    fault = kube.fault(FaultSpec(kind, params, 120), f"cluster-suite-{kind}")
    fault.prepare()
    try:
        fault.inject(time.time() + 60)
    finally:
        fault.revert(120)
    assert fault.verify_reverted().ok
    assert all(o.ok for o in kube.fault_residue())


def test_the_reference_system_passes_its_capacity_checks(kube: KubernetesTarget) -> None:
    """deploy/k8s ships an HPA and a PDB that pass the checks; the harness has every permission it needs."""
    checks = kube.autoscaling_checks()
    assert all(c.ok for c in checks[:2]), [c.describe() for c in checks]
    assert all(granted for _, granted in kube.permissions.report())
