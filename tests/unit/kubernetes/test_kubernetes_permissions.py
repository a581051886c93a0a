"""Permissions are reviewed up front (SelfSubjectAccessReview); missing ones are reported by verb and resource, and
nothing is changed."""

from __future__ import annotations

import pytest

from opsready.errors import EnvironmentProblem
from opsready.kubernetes.adapter import KubernetesTarget
from opsready.kubernetes.permissions import OPERATIONS
from opsready.targets.faults import FaultSpec
from tests.unit.kubernetes.kubefake import FakeCluster

READ_ONLY = {
    ("get", "apps", "deployments"),
    ("list", "apps", "replicasets"),
    ("list", "", "pods"),
    ("list", "discovery.k8s.io", "endpointslices"),
}


def test_missing_permissions_are_all_named_and_nothing_changes(cluster: FakeCluster, target: KubernetesTarget) -> None:
    """A read-only role: deploy, rollback, scale and faults each name what is missing; no mutation is sent."""
    cluster.set_grants(set(READ_ONLY))
    with pytest.raises(EnvironmentProblem) as deploy:
        target.deploy("1.1.0")
    assert "missing Kubernetes permissions for deploy in namespace 'orders': patch deployments.apps" in str(
        deploy.value
    )
    assert deploy.value.hint is not None and "deploy/k8s/role.yaml" in deploy.value.hint
    with pytest.raises(EnvironmentProblem, match=r"patch deployments\.apps"):
        target.rollback("x")
    with pytest.raises(EnvironmentProblem, match=r"patch deployments\.apps"):
        target.scale(3)
    kill = FaultSpec("pod-terminate", (("deployment", "orders"), ("count", 1), ("grace_seconds", 0)), 30)
    with pytest.raises(EnvironmentProblem, match=r"terminate-pods .*: delete pods"):
        target.fault(kill, "f").prepare()
    assert cluster.mutating() == []
    assert [s.path for s in cluster.requests() if s.method == "PATCH"] == []


def test_every_missing_permission_is_listed_at_once(cluster: FakeCluster, target: KubernetesTarget) -> None:
    """With nothing granted, the report names each verb and resource the operation needs."""
    cluster.set_grants(set())
    with pytest.raises(EnvironmentProblem) as refused:
        target.deploy("1.1.0")
    for need in OPERATIONS["deploy"]:
        assert str(need) in refused.value.message
    assert "list endpointslices.discovery.k8s.io" in refused.value.message
    assert cluster.mutating() == []


def test_reviews_are_asked_once_and_a_full_grant_passes(cluster: FakeCluster, target: KubernetesTarget) -> None:
    """With the Role's grants the deploy goes through; each permission is reviewed once per target."""
    target.deploy("1.1.0")
    target.deploy("1.2.0")
    reviews = [s for s in cluster.requests() if "selfsubjectaccessreviews" in s.path]
    assert len(reviews) == len(OPERATIONS["deploy"])
    report = dict(target.permissions.report())
    assert report["patch deployments.apps"] is True


def test_the_shipped_role_grants_exactly_what_the_operations_need() -> None:
    """deploy/k8s/role.yaml covers every permission in the table, and nothing cluster-wide."""
    from pathlib import Path

    import yaml

    role = yaml.safe_load((Path(__file__).parents[3] / "deploy/k8s/role.yaml").read_text())
    assert role["kind"] == "Role"
    granted = {
        (verb, group, resource)
        for rule in role["rules"]
        for verb in rule["verbs"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    for needs in OPERATIONS.values():
        for need in needs:
            resource = need.resource + (f"/{need.subresource}" if need.subresource else "")
            assert (need.verb, need.group, resource) in granted, f"role.yaml lacks {need}"
    assert all("*" not in rule["verbs"] and "*" not in rule["resources"] for rule in role["rules"])
