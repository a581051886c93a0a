"""Deploy, wait for the rollout and roll back, over HTTP against the fake cluster (the controller's part played by
the test harness)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from opsready.errors import DeployError, RollbackError, UsageError
from opsready.kubernetes.adapter import KubernetesTarget
from opsready.kubernetes.models import deployment_from
from opsready.kubernetes.rollout import rollout_status
from tests.unit.kubernetes.kubefake import DEPLOYMENTS, IMAGE, REPLICASETS, FakeCluster, Seen


def image(cluster: FakeCluster) -> str:
    return str(cluster.deployment("orders")["spec"]["template"]["spec"]["containers"][0]["image"])


def revisions(cluster: FakeCluster) -> dict[str, str]:
    """Image -> revision annotation of each ReplicaSet of the orders deployment."""
    return {
        rs["spec"]["template"]["spec"]["containers"][0]["image"].rsplit(":", 1)[1]: rs["metadata"]["annotations"][
            "deployment.kubernetes.io/revision"
        ]
        for rs in cluster.objects(REPLICASETS).values()
    }


def test_deploy_patches_the_image_and_waits_for_the_rollout(cluster: FakeCluster, target: KubernetesTarget) -> None:
    """deploy() returns once kubectl's rollout-status logic says done, and the new image is the deployment's."""
    record = target.deploy("1.1.0", note="drill")
    assert (record.version, record.previous, record.kind, record.note) == ("1.1.0", "1.0.0", "deploy", "drill")
    assert image(cluster) == "registry.example/orders:1.1.0"
    dep = cluster.deployment("orders")
    assert dep["status"]["observedGeneration"] == dep["metadata"]["generation"] == 2
    assert dep["status"]["availableReplicas"] == dep["status"]["updatedReplicas"] == 2
    assert dep["metadata"]["annotations"]["kubernetes.io/change-cause"] == "opsready deploy 1.1.0: drill"
    assert target.current_release() == "1.1.0"
    assert revisions(cluster) == {"1.0.0": "1", "1.1.0": "2"}


def test_deploy_keeps_waiting_while_the_controller_has_not_caught_up(
    cluster: FakeCluster, target: KubernetesTarget
) -> None:
    """With the controller stopped, deploy() does not return; once it runs again, deploy() finishes."""
    cluster.call(lambda: setattr(cluster.controller, "paused", True))
    done: list[object] = []
    worker = threading.Thread(target=lambda: done.append(target.deploy("1.1.0")))
    worker.start()
    time.sleep(0.5)
    assert not done, "deploy returned before the new generation was observed"
    assert image(cluster) == "registry.example/orders:1.1.0"  # the patch went out; the wait is what holds it
    cluster.call(lambda: setattr(cluster.controller, "paused", False))
    worker.join(10)
    assert done and not worker.is_alive()


def test_progress_deadline_exceeded_rolls_back_automatically(cluster: FakeCluster, target: KubernetesTarget) -> None:
    """A release whose pods never get ready fails on ProgressDeadlineExceeded and the previous template is restored."""
    cluster.controller.stuck_images.add("registry.example/orders:1.3.0-broken")
    started = time.monotonic()
    with pytest.raises(DeployError) as failure:
        target.deploy("1.3.0-broken")
    assert "exceeded its progress deadline" in failure.value.message
    assert "rolled back to 1.0.0" in failure.value.message
    assert time.monotonic() - started < 10  # the deadline (3 s x 0.1) ended the wait, not our 20 s timeout
    assert image(cluster) == "registry.example/orders:1.0.0"
    assert rollout_status(deployment_from(cluster.deployment("orders"))).done
    last = target.history()[-1]
    assert (last.version, last.previous, last.kind) == ("1.0.0", "1.3.0-broken", "rollback")
    assert last.note.startswith("automatic: ")


def test_a_failed_rollout_can_be_left_for_people_to_inspect(
    cluster: FakeCluster, make_target: Callable[..., KubernetesTarget]
) -> None:
    """on_failed_rollout: leave reports the failure and changes nothing more."""
    target = make_target(
        f"""\
    namespace: orders
    deployment: orders
    container: api
    image: {IMAGE}
    service_url: http://127.0.0.1:9
    poll_interval: 20ms
    on_failed_rollout: leave
"""
    )
    cluster.controller.stuck_images.add("registry.example/orders:1.3.0-broken")
    with pytest.raises(DeployError, match="left as it is"):
        target.deploy("1.3.0-broken")
    assert image(cluster) == "registry.example/orders:1.3.0-broken"


def test_rollback_restores_the_previous_revisions_template(cluster: FakeCluster, target: KubernetesTarget) -> None:
    """Like kubectl rollout undo: the previous ReplicaSet's template (no pod-template-hash) is patched back."""
    target.deploy("1.1.0")
    target.deploy("1.2.0")
    before = len(cluster.requests())
    record = target.rollback("customers report wrong totals")
    assert (record.version, record.previous, record.kind) == ("1.1.0", "1.2.0", "rollback")
    assert image(cluster) == "registry.example/orders:1.1.0"
    patch = next(s for s in cluster.requests()[before:] if s.method == "PATCH" and not s.dry_run)
    template = next(op["value"] for op in patch.body if op["path"] == "/spec/template")
    assert "pod-template-hash" not in template["metadata"]["labels"]
    # the old ReplicaSet is current again: it gets the next revision and remembers its earlier one
    rs = next(r for r in cluster.objects(REPLICASETS).values() if "1.1.0" in str(r["spec"]["template"]))
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "4"
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "2"
    assert [(r.version, r.kind) for r in target.history()] == [
        ("1.0.0", "deploy"),
        ("1.1.0", "deploy"),
        ("1.2.0", "deploy"),
        ("1.1.0", "rollback"),
    ]
    assert target.history()[-1].note == "customers report wrong totals"


def test_a_second_rollback_goes_back_again_like_kubectl(cluster: FakeCluster, target: KubernetesTarget) -> None:
    """Undo of an undo returns to the release before it (the previous revision is always the one before)."""
    target.deploy("1.1.0")
    target.rollback("first")
    assert target.current_release() == "1.0.0"
    assert target.rollback("second").version == "1.1.0"


def test_rollback_without_an_earlier_revision_changes_nothing(cluster: FakeCluster, target: KubernetesTarget) -> None:
    """A deployment with one revision cannot be rolled back; no mutating request is sent."""
    with pytest.raises(RollbackError, match="no revision before 1"):
        target.rollback("nothing to go to")
    assert cluster.mutating() == []


def test_history_ignores_replicasets_of_other_owners(cluster: FakeCluster, target: KubernetesTarget) -> None:
    """A ReplicaSet with the same labels but another owner is not part of the release history."""
    decoy = {
        "metadata": {
            "name": "orders-decoy",
            "uid": "rs-decoy",
            "labels": {"app": "orders"},
            "ownerReferences": [{"kind": "Deployment", "name": "imposter", "uid": "dep-imposter", "controller": True}],
            "annotations": {"deployment.kubernetes.io/revision": "99"},
        },
        "spec": {"replicas": 0, "template": {"spec": {"containers": [{"name": "api", "image": "evil:9.9.9"}]}}},
    }
    cluster.add_object(REPLICASETS, "orders-decoy", decoy)
    assert [r.version for r in target.history()] == ["1.0.0"]
    with pytest.raises(RollbackError):
        target.rollback("the decoy must not count as a previous revision")
    assert cluster.mutating() == []


def test_paused_and_unknown_are_refused_before_any_change(cluster: FakeCluster, target: KubernetesTarget) -> None:
    """Unknown releases, non-tag versions and paused deployments are refused with nothing sent."""
    with pytest.raises(UsageError, match="unknown release"):
        target.deploy("9.9.9")
    with pytest.raises(UsageError, match="image tag"):
        target.deploy("1.1.0; rm -rf /")
    cluster.call(
        lambda: cluster.api.objects[DEPLOYMENTS, "orders", "orders"].history.append(
            {**cluster.api.objects[DEPLOYMENTS, "orders", "orders"].raw, "spec": {
                **cluster.api.objects[DEPLOYMENTS, "orders", "orders"].raw["spec"], "paused": True}}
        )
    )  # fmt: skip
    with pytest.raises(UsageError, match="paused"):
        target.deploy("1.1.0")
    with pytest.raises(RollbackError, match="paused"):
        target.rollback("paused")
    assert cluster.mutating() == []


def _is_twin(dry: Seen, real: Seen) -> bool:
    return dry.dry_run and (dry.method, dry.path, dry.body) == (real.method, real.path, real.body)


def test_every_mutation_is_preceded_by_its_dry_run(cluster: FakeCluster, target: KubernetesTarget) -> None:
    """Across deploy, rollback, scale and both faults, each real mutation follows the same request as a dry run."""
    from opsready.targets.faults import FaultSpec

    target.deploy("1.1.0")
    target.rollback("drill")
    target.scale(3, timeout=10)
    kill = FaultSpec("pod-terminate", (("deployment", "orders"), ("count", 1), ("grace_seconds", 0)), 30)
    fault = target.fault(kill, "f1")
    fault.prepare()
    fault.inject(time.time() + 60)
    fault.revert(10)
    zero = target.fault(FaultSpec("scale-to-zero", (("deployment", "orders"),), 30), "f2")
    zero.prepare()
    zero.inject(time.time() + 60)
    zero.revert(10)
    seen = cluster.requests()
    real = [i for i, s in enumerate(seen) if s.mutating and not s.dry_run]
    assert {seen[i].method for i in real} == {"PATCH", "DELETE"}
    assert len(real) == 6  # deploy, rollback, scale, one pod deleted, scaled to zero, scaled back
    for i in real:
        assert _is_twin(seen[i - 1], seen[i]), f"{seen[i].method} {seen[i].path} was not preceded by its dry run"


def test_a_dry_run_refusal_stops_the_real_request(cluster: FakeCluster, target: KubernetesTarget) -> None:
    """An admission policy that refuses the image at the dry run: the deployment is never changed."""
    cluster.set_admission(lambda seen: "image not signed" if "1.2.0" in str(seen.body) else None)
    with pytest.raises(Exception, match="image not signed"):
        target.deploy("1.2.0")
    sent = [s for s in cluster.requests() if s.method == "PATCH"]
    assert len(sent) == 1 and sent[0].dry_run
    assert image(cluster) == "registry.example/orders:1.0.0"


def test_scale_waits_for_exactly_that_many_replicas(cluster: FakeCluster, target: KubernetesTarget) -> None:
    """scale(n) returns n available replicas; capacity_units reports them."""
    assert target.scale(4, timeout=10) == 4
    assert target.capacity_units() == 4
    assert target.scale(1, timeout=10) == 1
    assert cluster.deployment("orders")["spec"]["replicas"] == 1
