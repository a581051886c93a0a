"""What users' requests since a change say (count, failures, p95), for the error-rate and latency rollback triggers.

Two sources, chosen by the service profile:

- **metrics**: the profile's ``metrics:`` names, read from the service's /metrics and compared with a scrape taken
  before the change (every client's requests count, opsready's and real users').
- **traffic**: a profile without ``metrics:`` says nothing about what the service exports, so no metric name is
  assumed: opsready plays the profile's journeys itself from before the change to the end of the soak (a few
  bounded clients, :data:`TRAFFIC_RATE` requests per second at most) and judges what those requests saw.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from opsready.errors import ProbeError
from opsready.probes import metrics
from opsready.profile import profile_of, traffic_of
from opsready.targets.protocol import Target
from opsready.traffic import Traffic

UsageSource = Literal["metrics", "traffic"]
TRAFFIC_CLIENTS = 2
TRAFFIC_RATE = 10.0  # requests per second opsready sends while it judges from its own traffic
TRAFFIC_LIMIT = 900.0  # seconds: the traffic stops by itself even if nobody stops it


@dataclass(frozen=True)
class Usage:
    """Users' requests in a window: how many, how many failed, their p95 latency (seconds; None without any)."""

    at: float
    requests: float
    errors: float
    p95: float | None

    @property
    def error_rate(self) -> float | None:
        """Share of failed requests (None without traffic)."""
        return self.errors / self.requests if self.requests > 0 else None


class UsageJudge:
    """Reads users' requests since :meth:`begin` from one source; close it (or use ``with``) when the soak ends."""

    def __init__(self, target: Target, source: UsageSource) -> None:
        self.target = target
        self.source: UsageSource = source
        self._baseline: metrics.Scrape | None = None
        self._traffic: Traffic | None = None
        self._since = 0.0

    @classmethod
    def begin(cls, target: Target) -> UsageJudge:
        """Start judging ``target`` now, before the change: a baseline scrape, or opsready's own traffic."""
        judge = cls(target, "metrics" if profile_of(target).metrics is not None else "traffic")
        judge._since = time.monotonic()
        if judge.source == "metrics":
            judge._baseline = metrics.scrape(target)
        else:
            judge._traffic = Traffic(
                target.base_url,
                clients=TRAFFIC_CLIENTS,
                rate=TRAFFIC_RATE,
                max_seconds=TRAFFIC_LIMIT,
                max_requests=int(TRAFFIC_RATE * TRAFFIC_LIMIT),
                journeys=traffic_of(target),
            ).start()
        return judge

    @classmethod
    def from_scrape(cls, target: Target, baseline: metrics.Scrape) -> UsageJudge:
        """A metrics judge from a baseline scrape the caller took."""
        judge = cls(target, "metrics")
        judge._baseline = baseline
        judge._since = baseline.at
        return judge

    def describe(self) -> str:
        """Which source judges, in words for the deploy output and the timeline."""
        if self.source == "metrics":
            return f"the service's metrics ({profile_of(self.target).where()} names them)"
        return (
            f"opsready's own traffic (the profile's journeys, {TRAFFIC_RATE:g} requests/s at most: "
            f"{profile_of(self.target).where()} names no metrics)"
        )

    def now(self) -> Usage | None:
        """Users' requests since :meth:`begin`; None when the source cannot be read now (the service is down)."""
        if self._traffic is not None:
            return _from_traffic(self._traffic, self._since)
        assert self._baseline is not None
        try:
            scrape = metrics.scrape(self.target)
        except ProbeError:
            return None  # readiness answers for an unreachable service; metrics are evidence, not the judge
        w = metrics.window(self._baseline, scrape)
        return Usage(scrape.at, w.requests, w.errors, w.quantile(0.95))

    def close(self) -> None:
        """Stop opsready's traffic (nothing to do for metrics)."""
        if self._traffic is not None:
            self._traffic.stop()

    def __enter__(self) -> UsageJudge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _from_traffic(traffic: Traffic, since: float) -> Usage:
    now = time.monotonic()
    samples = traffic.snapshot().between(since, now).samples
    # a user waits for every answer, failed or not; a request nobody answered has no latency to judge
    latencies = sorted(s.latency for s in samples if s.status is not None)
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] if latencies else None
    return Usage(now, float(len(samples)), float(sum(1 for s in samples if s.failed)), p95)
