"""Rolling deploys a target may offer: batches of hosts taken out of the load balancer, switched, checked, put back
and soaked, with rollback triggers watched throughout.

An optional protocol beside :class:`~opsready.targets.protocol.Target`: ``opsready deploy`` and ``opsready rollback``
use it when the target offers it (:func:`rolling_of`) instead of switching it whole and watching the sandbox's
metrics. What happened comes back as a :class:`RolloutReport` made of what was observed, never typed by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from opsready.targets.protocol import ReleaseRecord, Say, quiet
from opsready.timeline import Timeline

RolloutKind = Literal["deploy", "rollback"]
RolloutResult = Literal["succeeded", "rolled_back"]
# what happens to a host in a batch, in order; "restored" is a host switched back after a trigger or a failed step
StepKind = Literal["draining", "drained", "switched", "checked", "ready", "soaked", "restored"]
# what users saw through the balancer; what an instance said when asked directly; the team's Prometheus
RolloutTrigger = Literal["error_rate", "readiness", "promql"]
JudgeOutcome = Literal["successful", "failed", "inconclusive"]


class BatchJudge(Protocol):
    """A rollback trigger judged from outside the target (a PromQL analysis of the team's Prometheus), asked again
    for every batch's soak: measurements of one batch never judge the next."""

    def restart(self) -> None:
        """Forget the measurements so far and start the clock for this batch (its initial delay first)."""
        ...

    def observe(self) -> Literal["failed", "inconclusive"] | None:
        """Measure when due; the outcome once the judge has decided against the batch, else None."""
        ...

    def conclude(self) -> JudgeOutcome:
        """The soak ended: the verdict (measured once more if nothing was measured)."""
        ...

    def describe(self) -> str:
        """The verdict and its evidence, for the timeline."""
        ...


@dataclass(frozen=True)
class TriggerHit:
    """The rollout's trigger that fired, the evidence, and when it was observed (monotonic clock)."""

    trigger: RolloutTrigger
    evidence: str
    at: float


@dataclass(frozen=True)
class RolloutStep:
    """One step done on one host (``at`` on the monotonic clock), with what was measured."""

    at: float
    host: str
    step: StepKind
    detail: str = ""


@dataclass(frozen=True)
class RolloutReport:
    """How a rolling deploy (or rollback) went: the hosts switched, and those switched back, newest first."""

    kind: RolloutKind
    version: str
    previous: str
    result: RolloutResult
    switched: tuple[str, ...]
    restored: tuple[str, ...]
    trigger: TriggerHit | None
    steps: tuple[RolloutStep, ...]

    def describe(self) -> str:
        """One sentence: what ended where."""
        if self.result == "succeeded":
            return f"{self.kind} {self.previous} -> {self.version} on {', '.join(self.switched)}"
        assert self.trigger is not None
        return (
            f"{self.kind} to {self.version} rolled back: {self.trigger.trigger}: {self.trigger.evidence}; "
            f"{', '.join(self.restored)} switched back to {self.previous}"
        )


@runtime_checkable
class RollingTarget(Protocol):
    """A target whose deploys and rollbacks go through a load balancer, a batch of hosts at a time."""

    def roll_out(
        self, version: str, timeline: Timeline, say: Say = quiet, judges: Sequence[BatchJudge] = ()
    ) -> RolloutReport:
        """Deploy ``version`` batch by batch; a trigger (its own, or one of ``judges`` during a batch's soak) rolls
        back every host already switched, newest first."""
        ...

    def roll_back(self, reason: str, timeline: Timeline, say: Say = quiet) -> RolloutReport:
        """Back to the release before the current one, batch by batch, the last deployed host first."""
        ...


@runtime_checkable
class JudgedDeploy(Protocol):
    """A target whose switch to a release takes a while, a few instances at a time (a Kubernetes Deployment's rolling
    update), and can be judged while it runs, like Argo Rollouts' background analysis."""

    def deploy_judged(
        self, version: str, kind: str, note: str, verdict: Callable[[], str | None]
    ) -> tuple[ReleaseRecord, str | None]:
        """:meth:`~opsready.targets.protocol.Target.deploy`, asking ``verdict`` at every look at the rollout while it
        runs. The first reason it gives stops the wait at once and comes back beside the record; the rollout is left
        as it stands, for the caller to roll back (the deployment procedure does, and measures it)."""
        ...


def judged_deploy_of(target: object) -> JudgedDeploy | None:
    """The target's judged deploys, or None when its deploy is one switch (judged only in the soak after it)."""
    return target if isinstance(target, JudgedDeploy) else None


def rolling_of(target: object) -> RollingTarget | None:
    """The target's rolling deploys, or None when it offers none (or is not configured for them)."""
    if isinstance(target, RollingTarget) and getattr(target, "rolls", True):
        return target
    return None
