"""Health of the service on the cluster: its pods (readiness, restarts, waiting reasons) and its Service endpoints.

Only pods that belong to the deployment count: listed by the deployment's labels, then kept when their controller
is one of the deployment's ReplicaSets. Pods on their way out (``deletionTimestamp`` set) are left out: a finished
rollout still has old pods terminating for their grace period, and they no longer serve.
"""

from __future__ import annotations

from opsready.kubernetes.models import Deployment, EndpointSlice, Pod, ReplicaSet
from opsready.kubernetes.options import Workload
from opsready.kubernetes.rollout import version_of
from opsready.kubernetes.safety import Selector
from opsready.targets.protocol import Instance


def pod_state(pod: Pod) -> str:
    """RUNNING for a ready pod; otherwise the most telling reason (CRASHLOOPBACKOFF, NOT_READY, PENDING, ...)."""
    if pod.phase == "Running" and pod.ready:
        return "RUNNING"
    if pod.waiting:
        return pod.waiting.upper()
    if pod.phase == "Running":
        return "NOT_READY"
    return pod.phase.upper() or "UNKNOWN"


def owned_pods(
    pods: tuple[Pod, ...], replicasets: tuple[ReplicaSet, ...], selector: Selector | None = None
) -> tuple[Pod, ...]:
    """Pods controlled by one of the ReplicaSets (and matching ``selector`` when given), not being deleted."""
    owners = {rs.uid for rs in replicasets}
    return tuple(
        p
        for p in sorted(pods, key=lambda p: p.name)
        if p.owner_uid in owners and not p.deleting and (selector is None or selector.matches(dict(p.labels)))
    )


def pod_instance(workload: Workload, pod: Pod, replicasets: tuple[ReplicaSet, ...]) -> Instance:
    """One pod as an :class:`Instance`: state, and release, restarts and node as detail."""
    owner = next((rs for rs in replicasets if rs.uid == pod.owner_uid), None)
    release = version_of(workload, owner.containers) if owner is not None else "?"
    detail = f"release {release}, restarts {pod.restarts}" + (f", node {pod.node}" if pod.node else "")
    return Instance(f"pod/{pod.name}", pod_state(pod), None, detail)


def deployment_instance(dep: Deployment) -> Instance:
    """The deployment itself: RUNNING when every desired replica is available."""
    ok = dep.available_replicas >= dep.replicas and dep.replicas > 0
    state = "RUNNING" if ok else ("SCALED_TO_ZERO" if dep.replicas == 0 else "DEGRADED")
    detail = f"{dep.available_replicas}/{dep.replicas} available, {dep.updated_replicas} updated"
    return Instance(f"deployment/{dep.name}", state, None, detail)


def endpoints_instance(service: str, slices: tuple[EndpointSlice, ...]) -> Instance:
    """The Service: RUNNING when it has at least one ready endpoint."""
    ready = sum(s.ready for s in slices)
    total = sum(s.total for s in slices)
    state = "RUNNING" if ready > 0 else "NO_ENDPOINTS"
    return Instance(f"service/{service}", state, None, f"{ready}/{total} endpoints ready")
