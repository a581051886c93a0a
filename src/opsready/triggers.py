"""Rollback triggers: watch a fresh release or patch during its soak and say when (and why) to roll it back.

Shared by the deployment procedures and the patching maintenance procedure, so both hold a change to the same
rules from opsready.yaml.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from opsready.config import RollbackTriggers
from opsready.errors import ProbeError
from opsready.probes import http, metrics
from opsready.targets.protocol import Target

# the rollback triggers of opsready.yaml, and the post-deploy checklist that also rolls a release back
Trigger = Literal["error_rate", "latency", "readiness", "smoke_test", "post_deploy_checklist"]


@dataclass(frozen=True)
class TriggerHit:
    """The trigger that fired, the evidence, and when it was observed (monotonic clock)."""

    trigger: Trigger
    evidence: str
    at: float


NO_METRICS = "the error-rate and latency triggers do not judge (no metrics: {reason}); readiness and the smoke test do"


def metric_baseline(target: Target) -> tuple[metrics.Scrape | None, str]:
    """The metrics before a change, or None and why when the service exports none opsready can read (a service
    without ``/metrics``): its soak is then judged by readiness and the smoke test alone, and says so."""
    try:
        return metrics.scrape(target), ""
    except ProbeError as exc:
        return None, str(exc)


def _metric_hit(rules: RollbackTriggers, baseline: metrics.Scrape | None, target: Target) -> TriggerHit | None:
    if baseline is None:
        return None
    try:
        now = metrics.scrape(target)
    except ProbeError:
        return None  # readiness answers for an unreachable service; metrics are evidence, not the judge
    w = metrics.window(baseline, now)
    if w.requests < rules.min_requests:
        return None
    rate = w.error_rate
    if rate is not None and rate > rules.error_rate_above:
        evidence = f"error rate {rate:.1%} ({w.errors:.0f}/{w.requests:.0f}) above {rules.error_rate_above:.1%}"
        return TriggerHit("error_rate", evidence, now.at)
    p95 = w.quantile(0.95)
    if p95 is not None and p95 > rules.p95_latency_above:
        evidence = f"p95 latency {p95 * 1000:.0f} ms above {rules.p95_latency_above * 1000:.0f} ms"
        return TriggerHit("latency", evidence, now.at)
    return None


def watch(target: Target, rules: RollbackTriggers, baseline: metrics.Scrape | None, soak: float) -> TriggerHit | None:
    """Observe the target for ``soak`` seconds (at least one round); the first trigger that fires, or None.
    Without a ``baseline`` (a service without metrics) the metric triggers do not judge.

    Readiness and the metric triggers are evaluated every interval; the smoke test runs once when the soak ends,
    and its own requests then count towards the metric triggers (so a quiet system is judged too).
    """
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
        hit = _metric_hit(rules, baseline, target)
        if hit is not None:
            return hit
        if time.monotonic() >= deadline and failures == 0:
            if not smoke_pending:
                return None
            smoke_pending = False
            smoke = http.smoke(target)
            if not smoke.ok:
                return TriggerHit("smoke_test", smoke.detail, smoke.at)
            return _metric_hit(rules, baseline, target)
        time.sleep(max(0.0, rules.interval - (time.monotonic() - started)))
