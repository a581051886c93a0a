"""The rollback triggers of a rolling deploy, judged from what users see and from each switched instance directly.

- **Users** (``error_rate``): HAProxy's counters for the backend, the requests every user sent through the balancer,
  compared with a snapshot taken when the batch went back into rotation: more than ``max_error_rate`` of at least
  ``min_requests`` answered 5xx (HAProxy's own 502/503 for a broken connection included).
- **Each instance directly** (``readiness``): every host switched so far is asked for health, readiness and version
  over HTTP on its own address (never through the balancer); ``unready_after`` failures in a row roll back. HAProxy's
  own health check marking a switched server DOWN counts as a failure of that instance too (a server still UP after
  one failed check, ``UP 1/2``, does not).

- **The team's Prometheus** (``promql``): the PromQL rollback triggers of opsready.yaml, each a fresh analysis for
  this batch (its ``initial_delay`` first); one that has failed, or is inconclusive past its limit, rolls back during
  the soak, and one that has no successful measurement at its end does too (no data is not success).

A ``/metrics`` scraped through the balancer is never used: it would mix the instances behind it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from opsready.hosts.gate import SERVING, BalancerGate
from opsready.hosts.haproxy import BackendStats
from opsready.hosts.instances import probe
from opsready.hosts.options import HostEntry, HostsOptions
from opsready.targets.rolling import BatchJudge, TriggerHit


def error_rate(before: BackendStats, after: BackendStats) -> tuple[int, int]:
    """(failed, requests) through the backend between two snapshots."""
    requests = after.total.requests - before.total.requests
    return after.total.user_errors - before.total.user_errors, requests


@dataclass
class Watch:
    """Watches the switched hosts while a batch soaks; :meth:`check` says when a trigger fires."""

    options: HostsOptions
    gate: BalancerGate
    version: str
    baseline: BackendStats
    judges: Sequence[BatchJudge] = ()
    misses: dict[str, int] = field(default_factory=dict)

    def check(self, switched: list[HostEntry]) -> TriggerHit | None:
        """One look at the users' errors since the baseline and at each switched instance."""
        stats = self.gate.stats()
        at = time.monotonic()
        rules = self.options.rollout
        failed, requests = error_rate(self.baseline, stats)
        if requests >= rules.min_requests and failed / requests > rules.max_error_rate:
            return TriggerHit(
                "error_rate",
                f"through the balancer {failed} of {requests} requests failed ({failed / requests:.1%}, "
                f"limit {rules.max_error_rate:.1%})",
                at,
            )
        for entry in switched:
            state = probe(self.options, entry)
            status = self.gate.of(stats, entry.name).status
            problem = state.detail if not state.serving else ""
            if not problem and state.version != self.version:
                problem = f"it reports version {state.version!r}, not {self.version}"
            # "UP 1/2" is still in rotation with one failed health check, often the one that ran while the host
            # was switched: only DOWN (or out of rotation) counts; the instance itself is asked directly above
            if not problem and status not in SERVING and status != "DRAIN" and not status.startswith("UP "):
                problem = f"the balancer's health check has it {status}"
            self.misses[entry.name] = self.misses.get(entry.name, 0) + 1 if problem else 0
            if self.misses[entry.name] >= rules.unready_after:
                return TriggerHit(
                    "readiness", f"{entry.name} directly: {problem} ({self.misses[entry.name]} checks in a row)", at
                )
        return None

    def judge(self) -> TriggerHit | None:
        """One look at the PromQL analyses (each measures when due): the first that has decided against the batch."""
        for judge in self.judges:
            if judge.observe() is not None:
                return TriggerHit("promql", judge.describe(), time.monotonic())
        return None

    def soak(self, switched: list[HostEntry], seconds: float) -> TriggerHit | None:
        """Check every ``check_every`` for ``seconds`` (at least once); the first trigger that fires, or at the end a
        PromQL analysis that did not succeed."""
        end = time.monotonic() + seconds
        for judge in self.judges:
            judge.restart()
        while True:
            hit = self.check(switched) or self.judge()
            if hit is not None:
                return hit
            if time.monotonic() >= end:
                break
            time.sleep(min(self.options.rollout.check_every, max(0.0, end - time.monotonic())))
        for judge in self.judges:
            if judge.conclude() != "successful":
                return TriggerHit("promql", judge.describe(), time.monotonic())
        return None
