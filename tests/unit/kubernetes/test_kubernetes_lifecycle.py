"""The lifecycle of a kubernetes target: a real target by default, running while its deployments have ready replicas,
and never started or stopped by opsready (both say so and send nothing to the cluster)."""

from __future__ import annotations

import pytest

from opsready.errors import UsageError
from opsready.kubernetes.adapter import KubernetesTarget
from tests.unit.kubernetes.kubefake import FakeCluster


def test_a_cluster_target_is_real_and_runs_while_it_has_ready_replicas(
    cluster: FakeCluster, target: KubernetesTarget
) -> None:
    """Rolled out: running; scaled to zero: not running (a read of the deployment, nothing else)."""
    assert target.kind == "real"
    assert target.is_running()
    target.scale(0)
    assert not target.is_running()


@pytest.mark.parametrize("action", ["start", "stop"])
def test_start_and_stop_are_not_offered_and_change_nothing(
    cluster: FakeCluster, target: KubernetesTarget, action: str
) -> None:
    """A clear refusal naming the platform; no request reaches the cluster."""
    before = len(cluster.requests())
    doing = {"start": "starting", "stop": "stopping"}[action]
    with pytest.raises(UsageError, match=f"{doing} is not offered on platform 'kubernetes'"):
        getattr(target, action)()
    assert len(cluster.requests()) == before
