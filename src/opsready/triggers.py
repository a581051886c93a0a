"""Rollback triggers: watch a fresh release or patch during its soak and say when (and why) to roll it back.

Shared by the deployment procedures and the patching maintenance procedure, so both hold a change to the same
rules from opsready.yaml.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from opsready.config import RollbackTriggers
from opsready.probes import http, metrics
from opsready.probes.usage import UsageJudge, UsageSource
from opsready.targets.protocol import Target

# the rollback triggers of opsready.yaml, and the post-deploy checklist that also rolls a release back
# (and the opt-in PromQL triggers: failed past their limit, or inconclusive, since no data is not success)
Trigger = Literal[
    "error_rate", "latency", "readiness", "smoke_test", "post_deploy_checklist", "promql", "promql_inconclusive"
]


@dataclass(frozen=True)
class TriggerHit:
    """The trigger that fired, the evidence, and when it was observed (monotonic clock)."""

    trigger: Trigger
    evidence: str
    at: float
    judged_by: UsageSource | None = None  # error rate and latency: the service's metrics or opsready's traffic


class SoakJudge(Protocol):
    """Another judge of the soak, such as a PromQL analysis: asked every round, and once more when the soak ends."""

    def observe(self) -> Literal["failed", "inconclusive"] | None:
        """Measure if a measurement is due; what the judge has already decided against the release, if anything."""

    def conclude(self) -> Literal["successful", "failed", "inconclusive"]:
        """The verdict when the soak ends."""

    def describe(self) -> str:
        """The verdict with its evidence."""


def judged(judges: Sequence[SoakJudge], final: bool = False) -> TriggerHit | None:
    """The first PromQL analysis that has decided against the release (``final``: its verdict at the soak's end)."""
    for judge in judges:
        outcome = judge.conclude() if final else judge.observe()
        if outcome == "failed":
            return TriggerHit("promql", judge.describe(), time.monotonic())
        if outcome == "inconclusive":
            return TriggerHit("promql_inconclusive", judge.describe(), time.monotonic())
    return None


def _metric_hit(rules: RollbackTriggers, judge: UsageJudge) -> TriggerHit | None:
    usage = judge.now()
    if usage is None or usage.requests < rules.min_requests:
        return None
    source = judge.source
    rate = usage.error_rate
    if rate is not None and rate > rules.error_rate_above:
        evidence = (
            f"error rate {rate:.1%} ({usage.errors:.0f}/{usage.requests:.0f}) above {rules.error_rate_above:.1%}"
            f" (from {source})"
        )
        return TriggerHit("error_rate", evidence, usage.at, source)
    p95 = usage.p95
    if p95 is not None and p95 > rules.p95_latency_above:
        evidence = f"p95 latency {p95 * 1000:.0f} ms above {rules.p95_latency_above * 1000:.0f} ms (from {source})"
        return TriggerHit("latency", evidence, usage.at, source)
    return None


def watch(
    target: Target,
    rules: RollbackTriggers,
    baseline: metrics.Scrape | UsageJudge,
    soak: float,
    judges: Sequence[SoakJudge] = (),
) -> TriggerHit | None:
    """Observe the target for ``soak`` seconds (at least one round); the first trigger that fires, or None.

    Readiness and the error-rate and latency triggers are evaluated every interval, the latter two from the
    ``baseline`` judge (:mod:`opsready.probes.usage`: the service's metrics, or opsready's own traffic); a bare scrape
    is judged from metrics. The smoke test runs once when the soak ends, and its own requests then count towards the
    metric triggers (so a quiet system is judged too; traffic-judged, opsready's traffic is never quiet). ``judges``
    (PromQL analyses) are asked every round and give their verdict when the soak ends.
    """
    judge = baseline if isinstance(baseline, UsageJudge) else UsageJudge.from_scrape(target, baseline)
    failures = 0
    deadline = time.monotonic() + soak
    smoke_pending = rules.smoke_test
    while True:
        started = time.monotonic()
        ready = http.readiness(target)
        failures = 0 if ready.ok else failures + 1
        if failures >= rules.readiness_failures:
            evidence = f"readiness failed {failures} times in a row ({ready.detail})"
            return TriggerHit("readiness", evidence, ready.at)
        hit = _metric_hit(rules, judge) or judged(judges, final=False)
        if hit is not None:
            return hit
        if time.monotonic() >= deadline and failures == 0:
            if not smoke_pending:
                return judged(judges, final=True)
            smoke_pending = False
            smoke = http.smoke(target)
            if not smoke.ok:
                return TriggerHit("smoke_test", smoke.detail, smoke.at)
            return _metric_hit(rules, judge) or judged(judges, final=True)
        time.sleep(max(0.0, rules.interval - (time.monotonic() - started)))
