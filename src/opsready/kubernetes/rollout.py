"""Rollouts the way kubectl does them: set the image, wait like ``rollout status``, undo like ``rollout undo``.

- Deploy: a JSON patch that tests the container's name at its index and replaces its image, plus annotations that
  say who changed what and why (``kubernetes.io/change-cause`` and ``opsready.io/*``; the controller copies them to
  the new ReplicaSet, so the release history lives in the cluster).
- Wait: ``observedGeneration`` caught up, then updated, old and available replicas, and the ``Progressing``
  condition's ``ProgressDeadlineExceeded`` reason as the failure signal (kubectl's DeploymentStatusViewer).
- Undo: the ReplicaSet of the previous revision (``deployment.kubernetes.io/revision``), its pod template without
  the ``pod-template-hash`` label, and its annotations, patched back into the Deployment (kubectl's rollbacker).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from opsready.errors import DeployError, RollbackError, TargetError, UsageError
from opsready.kubernetes.client import KubeClient
from opsready.kubernetes.models import REVISION, REVISION_HISTORY, Deployment, Pairs, ReplicaSet
from opsready.kubernetes.options import Workload
from opsready.kubernetes.safety import Selector

CHANGE_CAUSE = "kubernetes.io/change-cause"
RESTARTED_AT = "kubectl.kubernetes.io~1restartedAt"  # JSON pointer of kubectl's rollout-restart annotation
KIND, NOTE, AT, PREVIOUS = "opsready.io/kind", "opsready.io/note", "opsready.io/at", "opsready.io/previous"
# annotations kubectl keeps from the Deployment instead of taking them from the old ReplicaSet
_SKIP = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        REVISION,
        REVISION_HISTORY,
        "deployment.kubernetes.io/desired-replicas",
        "deployment.kubernetes.io/max-replicas",
        "deprecated.deployment.rollback.to",
    }
)


def now() -> str:
    """Wall clock, ISO 8601 UTC, as release records write it."""
    return datetime.now(tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _pointer(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class RolloutStatus:
    """Where a rollout stands: finished, failed, or still going (with kubectl's words for it)."""

    done: bool
    failed: bool
    message: str


def rollout_status(dep: Deployment) -> RolloutStatus:
    """kubectl's rollout status logic for one observation of a Deployment."""
    name = dep.name
    if dep.generation > dep.observed_generation:
        return RolloutStatus(False, False, "waiting for the deployment spec update to be observed")
    progressing = dep.condition("Progressing")
    if progressing is not None and progressing.reason == "ProgressDeadlineExceeded":
        detail = f": {progressing.message}" if progressing.message else ""
        return RolloutStatus(False, True, f'deployment "{name}" exceeded its progress deadline{detail}')
    if dep.updated_replicas < dep.replicas:
        return RolloutStatus(
            False, False, f"{dep.updated_replicas} out of {dep.replicas} new replicas have been updated"
        )
    if dep.status_replicas > dep.updated_replicas:
        return RolloutStatus(
            False, False, f"{dep.status_replicas - dep.updated_replicas} old replicas are pending termination"
        )
    if dep.available_replicas < dep.updated_replicas:
        return RolloutStatus(
            False, False, f"{dep.available_replicas} of {dep.updated_replicas} updated replicas are available"
        )
    return RolloutStatus(True, False, f'deployment "{name}" successfully rolled out')


def wait_rollout(
    client: KubeClient,
    name: str,
    timeout: float,
    interval: float,
    *,
    error: type[TargetError] = DeployError,
    sleep: Callable[[float], None] = time.sleep,
) -> Deployment:
    """Poll until the rollout finished; a passed progress deadline or our own timeout raises ``error``."""
    return watch_rollout(client, name, timeout, interval, error=error, sleep=sleep)[0]


def watch_rollout(
    client: KubeClient,
    name: str,
    timeout: float,
    interval: float,
    *,
    stop: Callable[[], str | None] = lambda: None,
    error: type[TargetError] = DeployError,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Deployment, str | None]:
    """:func:`wait_rollout` that asks ``stop`` at every look while the rollout is under way: the first reason it
    gives ends the wait at once, the rollout left as it stands (``(deployment, reason)``; no reason: it finished)."""
    deadline = time.monotonic() + timeout
    while True:
        dep = client.deployment(name)
        status = rollout_status(dep)
        if status.done:
            return dep, None
        if status.failed:
            raise error(status.message)
        reason = stop()
        if reason is not None:
            return dep, f"{reason} (stopped while {status.message})"
        if time.monotonic() >= deadline:
            raise error(f'deployment "{name}" did not finish rolling out within {timeout:.0f} s ({status.message})')
        sleep(interval)


def owned_replicasets(client: KubeClient, dep: Deployment) -> tuple[ReplicaSet, ...]:
    """The deployment's ReplicaSets with a revision, oldest revision first (owner checked, not only labels)."""
    selector = Selector.of_labels(dict(dep.match_labels)).text
    owned = [rs for rs in client.replicasets(selector) if rs.owner_uid == dep.uid and rs.revision > 0]
    return tuple(sorted(owned, key=lambda rs: rs.revision))


def _container_image(workload: Workload, containers: tuple[Any, ...]) -> str:
    return next((c.image for c in containers if c.name == workload.container), "")


def version_of(workload: Workload, containers: tuple[Any, ...]) -> str:
    """The release a pod template runs (its image when that does not follow the image template)."""
    image = _container_image(workload, containers)
    return workload.version_of(image) or image


def checked_deployment(client: KubeClient, workload: Workload) -> Deployment:
    """The deployment, refused when it cannot be rolled out (paused, or without the configured container)."""
    dep = client.deployment(workload.deployment)
    if dep.paused:
        raise UsageError(
            f"deployment {workload.deployment} is paused: "
            f"resume it first (kubectl rollout resume deployment/{dep.name})"
        )
    if dep.container(workload.container) is None:
        names = ", ".join(c.name for c in dep.containers) or "none"
        raise UsageError(f"deployment {dep.name} has no container '{workload.container}' (containers: {names})")
    inits = [c.name for c in dep.init_containers]
    for name in workload.init_containers:
        if name not in inits:
            raise UsageError(
                f"deployment {dep.name} has no init container '{name}' (init containers: {inits or 'none'})"
            )
    return dep


def annotation_ops(dep: Deployment, values: dict[str, str]) -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = []
    if not dep.annotations:
        ops.append({"op": "add", "path": "/metadata/annotations", "value": {}})
    for key, value in values.items():
        ops.append({"op": "add", "path": f"/metadata/annotations/{_pointer(key)}", "value": value})
    return ops


def stamp(kind: str, version: str, previous: str, note: str, at: str) -> dict[str, str]:
    """The annotations that record one change of release."""
    cause = f"opsready {kind} {version}" + (f": {note}" if note else "")
    return {CHANGE_CAUSE: cause[:1000], KIND: kind, NOTE: note[:1000], AT: at, PREVIOUS: previous}


def set_image(
    client: KubeClient, workload: Workload, dep: Deployment, version: str, notes: dict[str, str]
) -> Deployment:
    """Patch the container image of ``version`` (and the change annotations) into the deployment."""
    found = dep.container(workload.container)
    if found is None:
        raise UsageError(f"deployment {dep.name} has no container '{workload.container}'")
    index = found[0]
    ops: list[dict[str, Any]] = [
        {"op": "test", "path": f"/spec/template/spec/containers/{index}/name", "value": workload.container},
        {
            "op": "replace",
            "path": f"/spec/template/spec/containers/{index}/image",
            "value": workload.image_for(version),
        },
        *annotation_ops(dep, notes),
    ]
    for name in workload.init_containers:  # e.g. migrations: the same image, the same release
        i = next(i for i, c in enumerate(dep.init_containers) if c.name == name)
        ops.append({"op": "test", "path": f"/spec/template/spec/initContainers/{i}/name", "value": name})
        ops.append(
            {
                "op": "replace",
                "path": f"/spec/template/spec/initContainers/{i}/image",
                "value": workload.image_for(version),
            }
        )
    return client.patch_deployment(dep.name, ops)


def restore_template(client: KubeClient, dep: Deployment, template: str, annotations: dict[str, str]) -> Deployment:
    """Put a pod template (canonical JSON) and a full set of annotations back into the deployment."""
    ops = [
        {"op": "replace", "path": "/spec/template", "value": json.loads(template)},
        {"op": "add", "path": "/metadata/annotations", "value": annotations},
    ]
    return client.patch_deployment(dep.name, ops)


def previous_revision(client: KubeClient, dep: Deployment) -> ReplicaSet:
    """The ReplicaSet ``kubectl rollout undo`` would go back to: the highest revision below the current one."""
    replicasets = owned_replicasets(client, dep)
    if not replicasets:
        raise RollbackError(f"deployment {dep.name} has no ReplicaSet with a revision: nothing to roll back to")
    current = replicasets[-1].revision
    earlier = [rs for rs in replicasets if rs.revision < current]
    if not earlier:
        raise RollbackError(f"deployment {dep.name} has no revision before {current} to roll back to")
    target = earlier[-1]
    if target.template == dep.template:
        raise RollbackError(f"revision {target.revision} of deployment {dep.name} has the current pod template already")
    return target


def undo_to(client: KubeClient, dep: Deployment, template: str, source: Pairs, notes: dict[str, str]) -> Deployment:
    """Patch a template and the annotations that went with it back, as kubectl does (plus our change record)."""
    annotations = {k: v for k, v in dep.annotations if k in _SKIP}
    annotations.update({k: v for k, v in source if k not in _SKIP})
    annotations.update(notes)
    return restore_template(client, dep, template, annotations)


def undo(client: KubeClient, dep: Deployment, target: ReplicaSet, notes: dict[str, str]) -> Deployment:
    """``kubectl rollout undo``: the previous revision's template and annotations."""
    return undo_to(client, dep, target.template, target.annotations, notes)
