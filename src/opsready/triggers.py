"""Rollback triggers: watch a fresh release or patch during its soak and say when (and why) to roll it back.

Shared by the deployment procedures and the patching maintenance procedure, so both hold a change to the same
rules from opsready.yaml.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from opsready.config import RollbackTriggers
from opsready.probes import http, metrics
from opsready.probes.usage import UsageJudge, UsageSource
from opsready.targets.protocol import Target

# the rollback triggers of opsready.yaml, and the post-deploy checklist that also rolls a release back
Trigger = Literal["error_rate", "latency", "readiness", "smoke_test", "post_deploy_checklist"]


@dataclass(frozen=True)
class TriggerHit:
    """The trigger that fired, the evidence, and when it was observed (monotonic clock)."""

    trigger: Trigger
    evidence: str
    at: float
    judged_by: UsageSource | None = None  # error rate and latency: the service's metrics or opsready's traffic


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
    target: Target, rules: RollbackTriggers, baseline: metrics.Scrape | UsageJudge, soak: float
) -> TriggerHit | None:
    """Observe the target for ``soak`` seconds (at least one round); the first trigger that fires, or None.

    Readiness and the error-rate and latency triggers are evaluated every interval, the latter two from the
    ``baseline`` judge (:mod:`opsready.probes.usage`: the service's metrics, or opsready's own traffic); a bare scrape
    is judged from metrics. The smoke test runs once when the soak ends, and its own requests then count towards the
    metric triggers (so a quiet system is judged too; traffic-judged, opsready's traffic is never quiet).
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
        hit = _metric_hit(rules, judge)
        if hit is not None:
            return hit
        if time.monotonic() >= deadline and failures == 0:
            if not smoke_pending:
                return None
            smoke_pending = False
            smoke = http.smoke(target)
            if not smoke.ok:
                return TriggerHit("smoke_test", smoke.detail, smoke.at)
            return _metric_hit(rules, judge)
        time.sleep(max(0.0, rules.interval - (time.monotonic() - started)))
