"""What the harness needs to be allowed to do, checked up front with SelfSubjectAccessReviews.

Before an operation starts, every verb it will use is reviewed; if any is missing, all missing ones are reported
together by verb and resource, and nothing has been changed. ``deploy/k8s/role.yaml`` grants exactly this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from opsready.errors import EnvironmentProblem
from opsready.kubernetes.client import ROLE_HINT


@dataclass(frozen=True)
class Need:
    """One permission: a verb on a resource (of an API group, optionally a subresource)."""

    verb: str
    group: str
    resource: str
    subresource: str = ""

    def __str__(self) -> str:
        resource = f"{self.resource}.{self.group}" if self.group else self.resource
        return f"{self.verb} {resource}" + (f"/{self.subresource}" if self.subresource else "")


_OBSERVE = (
    Need("get", "apps", "deployments"),
    Need("list", "apps", "replicasets"),
    Need("list", "", "pods"),
    Need("list", "discovery.k8s.io", "endpointslices"),
)
_CHANGE = (*_OBSERVE, Need("patch", "apps", "deployments"))
OPERATIONS: dict[str, tuple[Need, ...]] = {
    "observe": _OBSERVE,
    "deploy": _CHANGE,
    "rollback": _CHANGE,
    "scale": _CHANGE,
    "terminate-pods": (*_OBSERVE, Need("delete", "", "pods")),
    "capacity": (
        Need("list", "autoscaling", "horizontalpodautoscalers"),
        Need("list", "policy", "poddisruptionbudgets"),
    ),
    "port-forward": (Need("get", "", "services"), Need("list", "", "pods"), Need("create", "", "pods", "portforward")),
}


class Reviewer(Protocol):
    """Something that can answer an access review (the client)."""

    namespace: str

    def can(self, verb: str, group: str, resource: str, subresource: str = "") -> tuple[bool, str]:
        """Whether the verb is allowed, and the server's reason."""
        ...


class Permissions:
    """Access reviews, asked once per permission and remembered for the target's lifetime."""

    def __init__(self, reviewer: Reviewer) -> None:
        self.reviewer = reviewer
        self._answers: dict[Need, bool] = {}

    def allowed(self, need: Need) -> bool:
        """Whether one permission is granted (reviewed once)."""
        if need not in self._answers:
            self._answers[need] = self.reviewer.can(need.verb, need.group, need.resource, need.subresource)[0]
        return self._answers[need]

    def missing(self, operation: str) -> tuple[Need, ...]:
        """The permissions an operation needs that our credentials lack."""
        return tuple(need for need in OPERATIONS[operation] if not self.allowed(need))

    def require(self, operation: str) -> None:
        """Raise :class:`EnvironmentProblem` naming every missing permission, before the operation changes anything."""
        missing = self.missing(operation)
        if missing:
            listed = ", ".join(str(need) for need in missing)
            raise EnvironmentProblem(
                f"missing Kubernetes permissions for {operation} in namespace '{self.reviewer.namespace}': {listed}",
                hint=ROLE_HINT,
            )

    def report(self) -> tuple[tuple[str, bool], ...]:
        """Every permission any operation needs, and whether it is granted (for ``describe`` and docs)."""
        needs = dict.fromkeys(need for group in OPERATIONS.values() for need in group)
        return tuple((str(need), self.allowed(need)) for need in needs)
