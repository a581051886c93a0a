"""What opsready reads from the Kubernetes API, as frozen dataclasses built once from the JSON the server sent.

Only the fields the adapter uses are kept. A pod template that is handed back to the server unchanged (a rollback
restores a ReplicaSet's template) is kept as canonical JSON text: opaque, immutable, and compared exactly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"

Pairs = tuple[tuple[str, str], ...]


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _pairs(value: object) -> Pairs:
    return tuple(sorted((str(k), str(v)) for k, v in _map(value).items()))


def _int(value: object, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _controller_uid(meta: Mapping[str, Any]) -> str:
    for ref in meta.get("ownerReferences") or ():
        if isinstance(ref, Mapping) and ref.get("controller"):
            return str(ref.get("uid", ""))
    return ""


def template_without_hash(template: Mapping[str, Any]) -> str:
    """A pod template as canonical JSON, without the ``pod-template-hash`` label the controller adds."""
    copy = json.loads(json.dumps(template))
    labels = copy.get("metadata", {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(HASH_LABEL, None)
    return json.dumps(copy, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Condition:
    """A status condition (Progressing, Available, Ready, ...)."""

    type: str
    status: str
    reason: str = ""
    message: str = ""


def _conditions(status: Mapping[str, Any]) -> tuple[Condition, ...]:
    return tuple(
        Condition(str(c.get("type", "")), str(c.get("status", "")), str(c.get("reason", "")), str(c.get("message", "")))
        for c in status.get("conditions") or ()
        if isinstance(c, Mapping)
    )


@dataclass(frozen=True)
class Container:
    """A container of a pod template."""

    name: str
    image: str


@dataclass(frozen=True)
class Deployment:
    """A Deployment: its spec as far as rollouts care, and its status."""

    name: str
    uid: str
    generation: int
    annotations: Pairs
    replicas: int
    paused: bool
    progress_deadline: int
    match_labels: Pairs
    template: str  # canonical JSON without the hash label
    template_labels: Pairs
    template_annotations: Pairs
    containers: tuple[Container, ...]
    init_containers: tuple[Container, ...]
    observed_generation: int
    status_replicas: int
    updated_replicas: int
    ready_replicas: int
    available_replicas: int
    conditions: tuple[Condition, ...]

    def annotation(self, key: str) -> str | None:
        """The value of an annotation, if set."""
        return dict(self.annotations).get(key)

    def condition(self, kind: str) -> Condition | None:
        """The status condition of that type, if reported."""
        return next((c for c in self.conditions if c.type == kind), None)

    def container(self, name: str) -> tuple[int, Container] | None:
        """The index and spec of the named container."""
        return next(((i, c) for i, c in enumerate(self.containers) if c.name == name), None)


def _containers(template: Mapping[str, Any], key: str = "containers") -> tuple[Container, ...]:
    spec = _map(template.get("spec"))
    return tuple(
        Container(str(c.get("name", "")), str(c.get("image", "")))
        for c in spec.get(key) or ()
        if isinstance(c, Mapping)
    )


def deployment_from(obj: Mapping[str, Any]) -> Deployment:
    """Build a :class:`Deployment` from the API's JSON."""
    meta, spec, status = _map(obj.get("metadata")), _map(obj.get("spec")), _map(obj.get("status"))
    template = _map(spec.get("template"))
    return Deployment(
        name=str(meta.get("name", "")),
        uid=str(meta.get("uid", "")),
        generation=_int(meta.get("generation")),
        annotations=_pairs(meta.get("annotations")),
        replicas=_int(spec.get("replicas"), 1),
        paused=bool(spec.get("paused", False)),
        progress_deadline=_int(spec.get("progressDeadlineSeconds"), 600),
        match_labels=_pairs(_map(spec.get("selector")).get("matchLabels")),
        template=template_without_hash(template),
        template_labels=_pairs(_map(template.get("metadata")).get("labels")),
        template_annotations=_pairs(_map(template.get("metadata")).get("annotations")),
        containers=_containers(template),
        init_containers=_containers(template, "initContainers"),
        observed_generation=_int(status.get("observedGeneration")),
        status_replicas=_int(status.get("replicas")),
        updated_replicas=_int(status.get("updatedReplicas")),
        ready_replicas=_int(status.get("readyReplicas")),
        available_replicas=_int(status.get("availableReplicas")),
        conditions=_conditions(status),
    )


@dataclass(frozen=True)
class ReplicaSet:
    """A ReplicaSet of a deployment: one revision of its pod template."""

    name: str
    uid: str
    owner_uid: str
    created: str
    annotations: Pairs
    revision: int
    revision_history: tuple[int, ...]
    template: str  # canonical JSON without the hash label
    containers: tuple[Container, ...]
    replicas: int

    def annotation(self, key: str) -> str | None:
        """The value of an annotation, if set."""
        return dict(self.annotations).get(key)


def _revisions(text: str | None) -> tuple[int, ...]:
    found = []
    for part in (text or "").split(","):
        if part.strip().isdigit():
            found.append(int(part.strip()))
    return tuple(found)


def replicaset_from(obj: Mapping[str, Any]) -> ReplicaSet:
    """Build a :class:`ReplicaSet` from the API's JSON."""
    meta, spec = _map(obj.get("metadata")), _map(obj.get("spec"))
    annotations = _pairs(meta.get("annotations"))
    notes = dict(annotations)
    revision = _revisions(notes.get(REVISION))
    template = _map(spec.get("template"))
    return ReplicaSet(
        name=str(meta.get("name", "")),
        uid=str(meta.get("uid", "")),
        owner_uid=_controller_uid(meta),
        created=str(meta.get("creationTimestamp", "")),
        annotations=annotations,
        revision=revision[0] if revision else 0,
        revision_history=_revisions(notes.get(REVISION_HISTORY)),
        template=template_without_hash(template),
        containers=_containers(template),
        replicas=_int(spec.get("replicas")),
    )


@dataclass(frozen=True)
class Pod:
    """A pod: whether it serves, how often it restarted, and who owns it."""

    name: str
    owner_uid: str
    labels: Pairs
    phase: str
    ready: bool
    restarts: int
    waiting: str  # the first container's waiting reason (CrashLoopBackOff, ImagePullBackOff, ...)
    deleting: bool
    node: str
    images: tuple[str, ...]


def pod_from(obj: Mapping[str, Any]) -> Pod:
    """Build a :class:`Pod` from the API's JSON."""
    meta, spec, status = _map(obj.get("metadata")), _map(obj.get("spec")), _map(obj.get("status"))
    statuses = [c for c in status.get("containerStatuses") or () if isinstance(c, Mapping)]
    waiting = next((str(_map(_map(c.get("state")).get("waiting")).get("reason", "")) for c in statuses), "")
    ready = any(c.type == "Ready" and c.status == "True" for c in _conditions(status))
    return Pod(
        name=str(meta.get("name", "")),
        owner_uid=_controller_uid(meta),
        labels=_pairs(meta.get("labels")),
        phase=str(status.get("phase", "Unknown")),
        ready=ready,
        restarts=sum(_int(c.get("restartCount")) for c in statuses),
        waiting=waiting,
        deleting=bool(meta.get("deletionTimestamp")),
        node=str(spec.get("nodeName", "")),
        images=tuple(c.image for c in _containers(obj)),
    )


@dataclass(frozen=True)
class EndpointSlice:
    """Addresses a Service sends traffic to, and how many of them are ready."""

    name: str
    ready: int
    total: int


def endpoint_slice_from(obj: Mapping[str, Any]) -> EndpointSlice:
    """Build an :class:`EndpointSlice` from the API's JSON (a missing ``ready`` condition means ready)."""
    endpoints = [e for e in obj.get("endpoints") or () if isinstance(e, Mapping)]
    ready = sum(1 for e in endpoints if _map(e.get("conditions")).get("ready", True) is not False)
    return EndpointSlice(str(_map(obj.get("metadata")).get("name", "")), ready, len(endpoints))


def items(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The items of a list response."""
    return [i for i in obj.get("items") or () if isinstance(i, Mapping)]
