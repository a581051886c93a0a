"""Faults on Kubernetes, in the platform-neutral fault model of :mod:`opsready.targets.faults`.

- ``pod-terminate``: delete some of the deployment's serving pods; its ReplicaSet replaces them. Nothing needs
  undoing, so the revert waits (bounded) until every replica is available again.
- ``scale-to-zero``: set the deployment's replicas to 0. The replica count is journaled as a fact *and* written on
  the deployment (annotation ``opsready.io/scaled-from``) before anything changes, so any process (the dead-man
  watchdog, ``opsready recover``) can scale it back even without the journal; reverting twice is harmless.

Every change goes through the client: allowlisted namespace, permissions reviewed, server-side dry run first.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Protocol

from opsready.errors import TargetError, UsageError
from opsready.kubernetes import rollout
from opsready.kubernetes.client import KubeClient
from opsready.kubernetes.models import Deployment, Pod, ReplicaSet
from opsready.kubernetes.options import KubeOptions, Workload
from opsready.kubernetes.permissions import Permissions
from opsready.observation import Observation
from opsready.targets.faults import CHOICE, INT, Facts, FaultKind, FaultParam, FaultSpec

SCALED_FROM = "opsready.io/scaled-from"
_ANNOTATION_PATH = "/metadata/annotations/opsready.io~1scaled-from"


def kinds(options: KubeOptions) -> tuple[FaultKind, ...]:
    """The fault kinds a Kubernetes target offers, with the configured deployments as choices."""
    names = tuple(w.deployment for w in options.workloads)
    deployment = FaultParam("deployment", CHOICE, names[0], names, summary="which deployment")
    return (
        FaultKind(
            "pod-terminate",
            "process",
            "delete serving pods of a deployment; its ReplicaSet replaces them",
            (
                deployment,
                FaultParam("count", INT, 1, minimum=1, maximum=20, summary="how many pods"),
                FaultParam("grace_seconds", INT, 30, minimum=0, maximum=300, summary="termination grace period"),
            ),
        ),
        FaultKind(
            "scale-to-zero",
            "process",
            "scale a deployment to zero replicas; reverted by scaling it back",
            (deployment,),
        ),
    )


class Cluster(Protocol):
    """What a fault needs of its Kubernetes target (the adapter satisfies it; this module never imports the adapter)."""

    @property
    def options(self) -> KubeOptions:
        """The target's parsed options."""
        ...

    @property
    def client(self) -> KubeClient:
        """The API client of the target's namespace."""
        ...

    @property
    def permissions(self) -> Permissions:
        """Access reviews for the target's credentials."""
        ...

    def pods_of(self, dep: Deployment, replicasets: tuple[ReplicaSet, ...]) -> tuple[Pod, ...]:
        """The deployment's serving pods."""
        ...


def _workload(options: KubeOptions, name: str) -> Workload:
    for workload in options.workloads:
        if workload.deployment == name:
            return workload
    raise UsageError(f"deployment '{name}' is not one of this target's deployments")


class KubeFault:
    """One fault on a deployment of a Kubernetes target."""

    def __init__(self, target: Cluster, spec: FaultSpec, fault_id: str, facts: Facts) -> None:
        self.target = target
        self._spec = spec
        self.fault_id = fault_id
        self.facts = dict(facts)
        self.workload = _workload(target.options, spec.text("deployment"))

    @property
    def spec(self) -> FaultSpec:
        """What this fault is."""
        return self._spec

    def describe(self) -> str:
        """What would be done where, and how it is undone."""
        where = f"deployment {self.target.options.namespace}/{self.workload.deployment}"
        if self._spec.kind == "scale-to-zero":
            return f"scale {where} to 0 replicas; revert: scale it back to its replicas before the fault"
        count = self._spec.text("count")
        return f"delete {count} serving pod(s) of {where}; revert: wait until every replica is available again"

    def _replicas(self) -> int:
        return int(self.facts.get("replicas", "0") or 0)

    def prepare(self) -> Facts:
        """Check the fault can be injected now (permissions, state) and return what a revert needs."""
        client = self.target.client
        if self._spec.kind == "scale-to-zero":
            self.target.permissions.require("scale")
            dep = client.deployment(self.workload.deployment)
            if dep.annotation(SCALED_FROM) is not None:
                raise UsageError(
                    f"deployment {dep.name} is still marked scaled to zero by an earlier fault: revert it first"
                )
            if dep.replicas == 0:
                raise UsageError(f"deployment {dep.name} already runs 0 replicas")
        else:
            self.target.permissions.require("terminate-pods")
            dep = client.deployment(self.workload.deployment)
            serving = self._serving(dep)
            if len(serving) < int(self._spec.number("count")):
                raise UsageError(
                    f"deployment {dep.name} has {len(serving)} serving pod(s), "
                    f"fewer than count {self._spec.text('count')}"
                )
        self.facts = {"deployment": dep.name, "replicas": str(dep.replicas)}
        return tuple(self.facts.items())

    def _serving(self, dep: Deployment) -> list[str]:
        replicasets = rollout.owned_replicasets(self.target.client, dep)
        return [p.name for p in self.target.pods_of(dep, replicasets) if p.ready]

    def inject(self, deadline: float) -> None:
        """Apply the fault. Nothing on the cluster can expire by itself: the chaos watchdog reverts at ``deadline``."""
        client = self.target.client
        dep = client.deployment(self.workload.deployment)
        if self._spec.kind == "scale-to-zero":
            ops = [
                {"op": "test", "path": "/spec/replicas", "value": self._replicas()},
                *rollout.annotation_ops(dep, {SCALED_FROM: str(self._replicas())}),
                {"op": "replace", "path": "/spec/replicas", "value": 0},
            ]
            client.patch_deployment(dep.name, ops)
            return
        grace = int(self._spec.number("grace_seconds"))
        doomed = sorted(self._serving(dep))[: int(self._spec.number("count"))]
        self.facts["deleted"] = ",".join(doomed)  # the revert waits until none of them serves
        for name in doomed:
            client.delete_pod(name, grace)

    def revert(self, timeout: float) -> None:
        """Scale back (scale-to-zero) and wait, bounded, until every replica is available again."""
        client = self.target.client
        dep = client.deployment(self.workload.deployment)
        if self._spec.kind == "scale-to-zero":
            mark = dep.annotation(SCALED_FROM)
            replicas = self._replicas() or int(mark or 0)
            if mark is not None or dep.replicas == 0:
                if replicas <= 0:
                    raise TargetError(f"cannot tell how many replicas deployment {dep.name} ran before the fault")
                ops: list[dict[str, object]] = [{"op": "replace", "path": "/spec/replicas", "value": replicas}]
                if mark is not None:
                    ops.append({"op": "remove", "path": _ANNOTATION_PATH})
                client.patch_deployment(dep.name, ops)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.verify_reverted().ok:
                return
            time.sleep(min(self.target.options.poll_interval, max(0.0, deadline - time.monotonic())))

    def verify_reverted(self) -> Observation:
        """Every replica available and no scale-to-zero mark left; after pod-terminate also as many serving pods as
        replicas, none of them a deleted one: the deployment's status may still count a pod just deleted (read-only)."""
        seen = _deployment_ok(self.target, self.workload, self._replicas() or None)
        if self._spec.kind != "pod-terminate" or not seen.ok:
            return seen
        dep = self.target.client.deployment(self.workload.deployment)
        serving = set(self._serving(dep))
        lingering = serving & (set(self.facts.get("deleted", "").split(",")) - {""})
        if lingering:
            return replace(seen, ok=False, detail=f"{seen.detail}; deleted pod(s) still serving: {sorted(lingering)}")
        if len(serving) < dep.replicas:
            return replace(seen, ok=False, detail=f"{seen.detail}; {len(serving)} of {dep.replicas} pods serving")
        return seen


def _deployment_ok(target: Cluster, workload: Workload, replicas: int | None) -> Observation:
    dep = target.client.deployment(workload.deployment)
    problems = []
    if dep.annotation(SCALED_FROM) is not None:
        problems.append(f"still marked {SCALED_FROM}={dep.annotation(SCALED_FROM)}")
    if replicas is not None and dep.replicas != replicas:
        problems.append(f"runs {dep.replicas} replicas, {replicas} before the fault")
    if dep.replicas == 0:
        problems.append("scaled to zero")
    status = rollout.rollout_status(dep)
    if not status.done:
        problems.append(status.message)
    detail = f"{dep.available_replicas}/{dep.replicas} available" + (f"; {'; '.join(problems)}" if problems else "")
    return Observation(f"deployment/{dep.name}", not problems, float(dep.available_replicas), " available", detail)


def make(target: Cluster, spec: FaultSpec, fault_id: str, facts: Facts) -> KubeFault:
    """A fault handle after checking the spec is one of this target's kinds."""
    if spec.kind not in {k.name for k in kinds(target.options)}:
        raise UsageError(f"fault '{spec.kind}' is not offered by kubernetes targets")
    return KubeFault(target, spec, fault_id, facts)


def residue(target: Cluster) -> tuple[Observation, ...]:
    """Read-only sweep: each deployment runs and available, no scale-to-zero mark."""
    return tuple(_deployment_ok(target, w, None) for w in target.options.workloads)
