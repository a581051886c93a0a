"""A fake cluster per test (kmock over real HTTP, the controller's part played explicitly) and a target on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from opsready.config import load_config
from opsready.kubernetes.adapter import KubernetesTarget
from opsready.targets.registry import open_target
from tests.unit.kubernetes.kubefake import CANARY_TOKEN, IMAGE, FakeCluster, write_config


@pytest.fixture
def cluster() -> Iterator[FakeCluster]:
    """A fake API server with an ``orders`` deployment at 1.0.0 (2 replicas) behind the ``orders`` Service."""
    fake = FakeCluster(namespace="orders", token=CANARY_TOKEN).start()
    try:
        fake.add_deployment("orders", IMAGE.format(version="1.0.0"), replicas=2, progress_deadline=3, service="orders")
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def make_target(cluster: FakeCluster, tmp_path: Path) -> Iterator[Callable[..., KubernetesTarget]]:
    """Build a target on the fake cluster from opsready.yaml text (closed after the test)."""
    opened: list[KubernetesTarget] = []

    def make(target: str = "", safety: str = "[orders]", **user: str) -> KubernetesTarget:
        kubeconfig = cluster.kubeconfig(tmp_path / "kubeconfig", **user)
        config = load_config(write_config(tmp_path, kubeconfig, target, safety))
        tgt = open_target(config, "k8s")
        assert isinstance(tgt, KubernetesTarget)
        opened.append(tgt)
        return tgt

    yield make
    for tgt in opened:
        tgt.close()


@pytest.fixture
def target(make_target: Callable[..., KubernetesTarget]) -> KubernetesTarget:
    """The default kubernetes target on the fake cluster."""
    return make_target()
