"""Patching: roll a patch release out with the target's zero-downtime deploy, guard it, and roll it back by itself.

The switch is the target's own graceful deploy; the rollback triggers of :mod:`opsready.triggers` (the same rules
deployments are held to, PromQL triggers included) then watch the patched service. When a trigger fires, the
procedure rolls back at once, waits until the service is healthy again, and records time to detect, to roll back and
until healthy on the drill's timeline against the SLOs.

A target that rolls through a load balancer (:func:`~opsready.targets.rolling.rolling_of`) patches as a rolling
deploy instead: batch by batch, each host drained, switched, checked directly and soaked, its own triggers judging
from what users see through the balancer and from each instance (a ``/metrics`` behind a balancer mixes instances)
and the PromQL triggers asking the team's Prometheus afresh for each batch;
a trigger switches back every host already switched, newest first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from opsready.config import Config
from opsready.errors import UsageError
from opsready.monitoring.analysis import soak_judges
from opsready.probes.readiness import wait_healthy
from opsready.probes.usage import UsageJudge
from opsready.targets.protocol import Target
from opsready.targets.rolling import BatchJudge, RollingTarget, rolling_of
from opsready.targets.rolling import TriggerHit as RolloutHit
from opsready.timeline import Timeline
from opsready.triggers import TriggerHit, watch

Progress = Callable[[str], None]


@dataclass(frozen=True)
class PatchOutcome:
    """How a patch ended: ``succeeded`` (the patch serves) or ``rolled_back`` (with what caught it)."""

    release: str
    previous: str
    result: Literal["succeeded", "rolled_back"]
    serving: str
    hit: TriggerHit | RolloutHit | None = None
    hosts: tuple[str, ...] = ()  # a rolling patch: the hosts switched, in order


def check_patch(target: Target, release: str) -> None:
    """Refuse an unknown release, or the one already serving, before anything changes."""
    known = {r.version for r in target.releases()}
    if release not in known:
        raise UsageError(f"unknown release '{release}'; available: {', '.join(sorted(known))}")
    if target.current_release() == release:
        raise UsageError(f"release {release} is already serving: there is nothing to patch")


def apply_patch(config: Config, target: Target, release: str, timeline: Timeline, progress: Progress) -> PatchOutcome:
    """Switch to ``release``, guard it for the soak, roll back automatically when a trigger fires."""
    check_patch(target, release)
    judges = soak_judges(target, config.triggers.prometheus)  # opt-in PromQL triggers, each query checked first
    rolling = rolling_of(target)
    if rolling is not None:
        return _roll_patch(rolling, target, release, timeline, progress, judges)
    slos, rules, tl = config.slos, config.triggers, timeline
    previous = target.current_release()
    with UsageJudge.begin(target) as judge:
        tl.mark("deploy_started", f"patch {previous} -> {release}")
        progress(f"patching {previous} -> {release} (graceful reload)")
        target.deploy(release, "deploy", "maintenance: patch")
        tl.mark("deployed", release)
        tl.measure("time to deploy", "deploy_started", "deployed", slos.deploy_within)
        progress(f"guarding the patch for {rules.soak:.0f} s; error rate and latency judged from {judge.describe()}")
        hit = watch(target, rules, judge, rules.soak, judges)
    for analysis in judges:
        tl.mark("analysis", analysis.describe(), source="prometheus")
    if hit is None:
        return PatchOutcome(release, previous, "succeeded", target.current_release())
    tl.mark("detected", f"{hit.trigger}: {hit.evidence}", at=hit.at)
    tl.measure("time to detect", "deployed", "detected", slos.detect_within)
    progress(f"patch validation failed ({hit.trigger}: {hit.evidence}); rolling back")
    tl.mark("rollback_started", hit.trigger)
    record = target.rollback(f"automatic: patch {release} failed validation ({hit.trigger})")
    tl.mark("rolled_back", record.version)
    tl.measure("time to roll back", "detected", "rolled_back", slos.rollback_within)
    wait_healthy(target, slos.healthy_within)
    tl.mark("healthy", record.version)
    tl.measure("time until healthy", "rolled_back", "healthy", slos.healthy_within)
    tl.measure("time to recover", "deployed", "healthy", slos.rollback_within)
    return PatchOutcome(release, previous, "rolled_back", target.current_release(), hit)


def _roll_patch(  # noqa: PLR0917  # one call site
    rolling: RollingTarget,
    target: Target,
    release: str,
    timeline: Timeline,
    progress: Progress,
    judges: Sequence[BatchJudge],
) -> PatchOutcome:
    """The patch as the target's rolling deploy (the PromQL triggers judging each batch); its report says whether a
    trigger rolled it back."""
    progress(f"patching {target.current_release()} -> {release} as a rolling deploy through the balancer")
    report = rolling.roll_out(release, timeline, progress, judges)
    serving = target.current_release()
    if report.result == "succeeded":
        return PatchOutcome(release, report.previous, "succeeded", serving, None, report.switched)
    return PatchOutcome(release, report.previous, "rolled_back", serving, report.trigger, report.switched)
