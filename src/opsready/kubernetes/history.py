"""The release history of a deployment, read back from its ReplicaSets.

Each ReplicaSet is one pod template. Its ``deployment.kubernetes.io/revision`` is the last time it became the new
one and ``revision-history`` the earlier times (a rollback reuses an old ReplicaSet). The ``opsready.io/*``
annotations describe its latest change only, so earlier events of a reused ReplicaSet are known by revision and
version alone. ReplicaSets pruned by ``revisionHistoryLimit`` are gone from the history, as they are from the cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

from opsready.kubernetes.models import ReplicaSet
from opsready.kubernetes.options import Workload
from opsready.kubernetes.rollout import AT, CHANGE_CAUSE, KIND, NOTE, version_of
from opsready.targets.protocol import ReleaseRecord

KINDS = ("deploy", "rollback", "emergency")


@dataclass(frozen=True)
class RevisionEvent:
    """One time a pod template became the deployment's current one."""

    revision: int
    version: str
    kind: str
    note: str
    at: str


def events(workload: Workload, replicasets: tuple[ReplicaSet, ...]) -> tuple[RevisionEvent, ...]:
    """Every revision the ReplicaSets remember, in revision order."""
    found: list[RevisionEvent] = []
    for rs in replicasets:
        version = version_of(workload, rs.containers)
        revisions = sorted({*rs.revision_history, rs.revision})
        for revision in revisions:
            if revision == rs.revision:
                kind = rs.annotation(KIND) or "deploy"
                note = rs.annotation(NOTE) or rs.annotation(CHANGE_CAUSE) or ""
                at = rs.annotation(AT) or (rs.created if len(revisions) == 1 else "")
                found.append(RevisionEvent(revision, version, kind if kind in KINDS else "deploy", note, at))
            else:
                at = rs.created if revision == revisions[0] else ""
                found.append(RevisionEvent(revision, version, "deploy", "", at))
    return tuple(sorted(found, key=lambda e: e.revision))


def records(workload: Workload, replicasets: tuple[ReplicaSet, ...]) -> tuple[ReleaseRecord, ...]:
    """The release history, oldest first, as the Target protocol reports it."""
    out: list[ReleaseRecord] = []
    previous: str | None = None
    for event in events(workload, replicasets):
        out.append(ReleaseRecord(event.version, previous, event.kind, event.at, event.note))
        previous = event.version
    return tuple(out)
