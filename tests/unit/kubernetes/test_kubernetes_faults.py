"""Kubernetes faults in the shared fault model: scale-to-zero is reverted from journaled facts or from the mark on
the deployment, by any process, any number of times; pod termination is healed by the ReplicaSet."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from opsready.errors import Loc, UsageError
from opsready.kubernetes.adapter import KubernetesTarget
from opsready.targets.faults import FaultInjectable, FaultSpec, faults_of, parse_fault_spec
from opsready.targets.faults import revalidate as revalidate_spec
from tests.unit.kubernetes.kubefake import PODS, FakeCluster

ZERO = FaultSpec("scale-to-zero", (("deployment", "orders"),), 30)
KILL = FaultSpec("pod-terminate", (("deployment", "orders"), ("count", 1), ("grace_seconds", 0)), 30)


def replicas(cluster: FakeCluster) -> int:
    return int(cluster.deployment("orders")["spec"]["replicas"])


def test_the_target_offers_faults_through_the_shared_model(target: KubernetesTarget) -> None:
    """isinstance(FaultInjectable), kinds with schemas, specs validated like any other target's."""
    assert isinstance(target, FaultInjectable)
    kinds = faults_of(target).fault_kinds()
    assert [k.name for k in kinds] == ["pod-terminate", "scale-to-zero"]
    spec = parse_fault_spec(kinds, "pod-terminate", {"count": 2}, "20s", Loc("x.yaml", 3))
    assert spec.params == (("deployment", "orders"), ("count", 2), ("grace_seconds", 30))
    with pytest.raises(Exception, match="between 1 and 20"):
        parse_fault_spec(kinds, "pod-terminate", {"count": 99}, None, Loc("x.yaml", 3))
    assert revalidate_spec(kinds, ZERO, "journal") == ZERO
    assert target.fault_journal_dir().name == "faults"


def test_scale_to_zero_is_reverted_from_its_facts(cluster: FakeCluster, target: KubernetesTarget) -> None:
    """Inject scales to 0 and marks the deployment; revert restores the journaled replica count."""
    fault = target.fault(ZERO, "z1")
    facts = fault.prepare()
    assert dict(facts) == {"deployment": "orders", "replicas": "2"}
    assert "scale deployment orders/orders to 0" in fault.describe()
    fault.inject(time.time() + 60)
    cluster.wait(lambda: cluster.deployment("orders")["status"].get("availableReplicas") == 0)
    assert replicas(cluster) == 0
    assert cluster.deployment("orders")["metadata"]["annotations"]["opsready.io/scaled-from"] == "2"
    assert not fault.verify_reverted().ok
    assert not all(o.ok for o in target.fault_residue())
    fault.revert(10)
    assert replicas(cluster) == 2
    assert "opsready.io/scaled-from" not in cluster.deployment("orders")["metadata"]["annotations"]
    assert fault.verify_reverted().ok
    assert all(o.ok for o in target.fault_residue())


def test_another_process_reverts_with_the_facts_or_even_without_them(
    cluster: FakeCluster, target: KubernetesTarget, make_target: Callable[..., KubernetesTarget]
) -> None:
    """A fresh target (like `opsready recover`) reverts from facts; without facts, from the mark; twice is harmless."""
    fault = target.fault(ZERO, "z2")
    facts = fault.prepare()
    fault.inject(time.time() + 60)
    recovering = make_target()
    recovering.fault(ZERO, "z2", facts).revert(10)
    assert replicas(cluster) == 2
    patches = len([s for s in cluster.mutating() if not s.dry_run])
    recovering.fault(ZERO, "z2", facts).revert(10)  # idempotent: nothing more to do, nothing sent
    assert len([s for s in cluster.mutating() if not s.dry_run]) == patches
    again = target.fault(ZERO, "z3")
    again.prepare()
    again.inject(time.time() + 60)
    make_target().fault(ZERO, "z3").revert(10)  # journal lost: the annotation on the deployment is enough
    assert replicas(cluster) == 2 and all(o.ok for o in target.fault_residue())


def test_scale_to_zero_refuses_a_deployment_still_marked(cluster: FakeCluster, target: KubernetesTarget) -> None:
    """A second scale-to-zero before the first is reverted is refused (it would journal 0 replicas)."""
    first = target.fault(ZERO, "a")
    first.prepare()
    first.inject(time.time() + 60)
    with pytest.raises(UsageError, match="still marked"):
        target.fault(ZERO, "b").prepare()
    first.revert(10)


def test_pod_terminate_deletes_serving_pods_and_waits_for_replacements(
    cluster: FakeCluster, target: KubernetesTarget
) -> None:
    """Two pods are deleted (each after its dry run); revert returns once the ReplicaSet has replaced them."""
    before = set(cluster.objects(PODS))
    spec = FaultSpec("pod-terminate", (("deployment", "orders"), ("count", 2), ("grace_seconds", 0)), 30)
    fault = target.fault(spec, "k1")
    fault.prepare()
    fault.inject(time.time() + 60)
    deleted = [s.path.rsplit("/", 1)[1] for s in cluster.mutating() if s.method == "DELETE" and not s.dry_run]
    assert sorted(deleted) == sorted(before)
    assert all(("gracePeriodSeconds", "0") in s.query for s in cluster.mutating() if s.method == "DELETE")
    fault.revert(10)
    assert fault.verify_reverted().ok
    after = set(cluster.objects(PODS))
    assert len(after) == 2 and not after & before


def test_pod_terminate_refuses_more_pods_than_serve(cluster: FakeCluster, target: KubernetesTarget) -> None:
    """Asking for more pods than the deployment runs is refused before anything is deleted."""
    spec = FaultSpec("pod-terminate", (("deployment", "orders"), ("count", 5), ("grace_seconds", 0)), 30)
    with pytest.raises(UsageError, match="fewer than count 5"):
        target.fault(spec, "k2").prepare()
    assert cluster.mutating() == []


def test_opsready_recover_reverts_a_kubernetes_fault_left_by_a_dead_run(
    cluster: FakeCluster, target: KubernetesTarget
) -> None:
    """A journaled scale-to-zero that its run never reverted is scaled back by the chaos package's recover."""
    from opsready.chaos.journal import FaultJournal
    from opsready.chaos.recover import recover

    journal = FaultJournal.create(target.fault_journal_dir(), "k8s drill", target.name, "opsready.yaml")
    facts = target.fault(ZERO, "run-1").prepare()
    journal.intent("run-1", "api-zero", ZERO, facts, time.time() + 60)
    target.fault(ZERO, "run-1", facts).inject(time.time() + 60)
    journal.write("applied", fault="run-1")
    assert replicas(cluster) == 0
    report = recover(target, force=True)  # force: the "dead" run is this very process
    assert [r.kind for r in report.reverted] == ["scale-to-zero"] and report.exit_code == 0
    assert replicas(cluster) == 2 and all(o.ok for o in target.fault_residue())
    assert recover(target, force=True).reverted == ()  # a second run has nothing left to do
