"""Capacity checks on Kubernetes: an HPA for the deployment with sane bounds and targets, a PDB that protects the
pods without blocking node drains."""

from __future__ import annotations

from typing import Any

import kmock
import pytest

from opsready.errors import EnvironmentProblem
from opsready.kubernetes.adapter import KubernetesTarget
from opsready.kubernetes.capacity import (
    autoscaler_from,
    budget_from,
    check_autoscaler,
    check_disruption_budget,
)
from opsready.kubernetes.models import deployment_from
from tests.unit.kubernetes.kubefake import FakeCluster

HPA = kmock.resource("autoscaling", "v2", "horizontalpodautoscalers")
PDB = kmock.resource("policy", "v1", "poddisruptionbudgets")
DEP = deployment_from(
    {
        "metadata": {"name": "orders"},
        "spec": {"replicas": 3, "template": {"metadata": {"labels": {"app": "orders", "tier": "web"}}}},
    }
)


def cpu(target: dict[str, Any]) -> dict[str, Any]:
    """A CPU resource metric with the given target."""
    return {"type": "Resource", "resource": {"name": "cpu", "target": target}}


RPS = {"type": "Pods", "pods": {"metric": {"name": "rps"}, "target": {"type": "AverageValue", "averageValue": "50"}}}


def hpa(
    min_replicas: int | None = 2, max_replicas: int = 10, metrics: Any = "cpu", target: str = "orders"
) -> dict[str, Any]:
    spec: dict[str, Any] = {"scaleTargetRef": {"kind": "Deployment", "name": target}, "maxReplicas": max_replicas}
    if min_replicas is not None:
        spec["minReplicas"] = min_replicas
    if metrics == "cpu":
        metrics = [cpu({"type": "Utilization", "averageUtilization": 70})]
    spec["metrics"] = metrics
    return {"metadata": {"name": "orders"}, "spec": spec}


@pytest.mark.parametrize(
    ("obj", "ok", "says"),
    [
        (hpa(), True, "orders: 2-10 replicas on cpu Utilization 70"),
        (hpa(target="payments"), False, "no HorizontalPodAutoscaler targets deployment orders"),
        (hpa(min_replicas=None), False, "minReplicas 1 < 2"),
        (hpa(min_replicas=5, max_replicas=5), False, "cannot scale out"),
        (hpa(max_replicas=500), False, "runaway"),
        (hpa(metrics=[]), False, "no metrics"),
        (hpa(metrics=[cpu({"type": "Utilization"})]), False, "no target value"),
        (hpa(metrics=[cpu({"type": "Utilization", "averageUtilization": 250})]), False, "outside 1-100"),
        (hpa(metrics=[RPS]), True, "rps AverageValue 50"),
    ],
)
def test_autoscaler_checks(obj: dict[str, Any], ok: bool, says: str) -> None:
    """Each sanity rule of the HPA check, one case each."""
    observation = check_autoscaler((autoscaler_from(obj),), DEP)
    assert observation.ok is ok
    assert says in observation.detail


def pdb(labels: dict[str, str], **rule: Any) -> dict[str, Any]:
    return {"metadata": {"name": "orders"}, "spec": {"selector": {"matchLabels": labels}, **rule}}


@pytest.mark.parametrize(
    ("obj", "ok", "says"),
    [
        (pdb({"app": "orders"}, maxUnavailable=1), True, "maxUnavailable 1 for 3 replicas"),
        (pdb({"app": "orders"}, minAvailable="50%"), True, "minAvailable 50%"),
        (pdb({"app": "payments"}, maxUnavailable=1), False, "no PodDisruptionBudget selects"),
        (pdb({}, maxUnavailable=1), False, "no PodDisruptionBudget selects"),
        (pdb({"app": "orders"}, maxUnavailable=0), False, "blocks every eviction"),
        (pdb({"app": "orders"}, minAvailable=3), False, "blocks every eviction"),
        (pdb({"app": "orders"}, minAvailable="100%"), False, "blocks every eviction"),
        (pdb({"app": "orders"}), False, "neither minAvailable nor maxUnavailable"),
    ],
)
def test_disruption_budget_checks(obj: dict[str, Any], ok: bool, says: str) -> None:
    """A budget must select the pods, limit disruption, and still let a drain evict one pod."""
    observation = check_disruption_budget((budget_from(obj),), DEP)
    assert observation.ok is ok
    assert says in observation.detail


def test_autoscaling_checks_read_the_cluster(cluster: FakeCluster, target: KubernetesTarget) -> None:
    """Through the target: both checks for the deployment, read-only, permission-checked first."""
    cluster.add_object(HPA, "orders", hpa())
    cluster.add_object(PDB, "orders", pdb({"app": "orders"}, maxUnavailable=1))
    hpa_check, pdb_check = target.autoscaling_checks()
    assert hpa_check.ok and pdb_check.ok, (hpa_check.describe(), pdb_check.describe())
    assert cluster.mutating() == []
    cluster.set_grants({("list", "autoscaling", "horizontalpodautoscalers")})
    fresh = type(target)(target.name, target.options, target.state_dir)
    with pytest.raises(EnvironmentProblem, match=r"list poddisruptionbudgets\.policy"):
        fresh.autoscaling_checks()
    fresh.close()
