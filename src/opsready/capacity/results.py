"""Results of a load run as typed data: every request locust made, and statistics per phase and per endpoint.

Statistics are computed from the individual requests (exact percentiles), so a run can be cut into phases of a drill
(before the fault, during, after recovery) at the timeline's event times. Locust's own ``--json-file`` summary is kept
beside them as a cross-check of the totals.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from opsready.capacity.expressions import METRICS
from opsready.timeline import Timeline

QUANTILES = {"p50": 0.5, "p75": 0.75, "p90": 0.9, "p95": 0.95, "p99": 0.99, "p99.9": 0.999}


@dataclass(frozen=True, slots=True)
class RequestSample:
    """One request as a simulated user saw it (``start`` and ``end`` on the harness's monotonic clock)."""

    start: float
    end: float
    endpoint: str  # "GET /products"
    latency: float  # seconds
    failed: bool


@dataclass(frozen=True)
class Stats:
    """Requests of one endpoint (or all together) over one period."""

    requests: int
    failures: int
    seconds: float
    latencies: tuple[float, ...]  # sorted, seconds

    @property
    def error_rate(self) -> float | None:
        """Share of requests that failed (None without requests)."""
        return self.failures / self.requests if self.requests else None

    @property
    def rps(self) -> float:
        """Requests per second over the period."""
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def quantile(self, q: float) -> float | None:
        """Latency quantile by nearest rank (what locust reports), None without requests."""
        if not self.latencies:
            return None
        rank = max(1, math.ceil(q * len(self.latencies)))
        return self.latencies[rank - 1]

    def value(self, metric: str) -> float | None:
        """The measured value of a threshold metric (see :mod:`opsready.capacity.expressions`)."""
        if metric in QUANTILES:
            return self.quantile(QUANTILES[metric])
        if metric == "avg":
            return sum(self.latencies) / len(self.latencies) if self.latencies else None
        if metric == "max":
            return self.latencies[-1] if self.latencies else None
        if metric == "error_rate":
            return self.error_rate
        if metric == "rps":
            return self.rps
        if metric == "requests":
            return float(self.requests)
        if metric == "failures":
            return float(self.failures)
        raise KeyError(f"no metric '{metric}' for load statistics (known: {', '.join(METRICS)})")


def summarize(samples: Iterable[RequestSample], seconds: float) -> Stats:
    """Statistics of some requests over a period of ``seconds``."""
    chosen = list(samples)
    return Stats(
        requests=len(chosen),
        failures=sum(1 for s in chosen if s.failed),
        seconds=seconds,
        latencies=tuple(sorted(s.latency for s in chosen)),
    )


@dataclass(frozen=True)
class Phase:
    """A named period of a run, [start, end) on the monotonic clock."""

    name: str
    start: float
    end: float

    @property
    def seconds(self) -> float:
        """How long the phase lasted."""
        return max(0.0, self.end - self.start)


@dataclass(frozen=True)
class PhaseStats:
    """Statistics of one phase: all endpoints together and each endpoint."""

    phase: Phase
    total: Stats
    endpoints: tuple[tuple[str, Stats], ...]

    def endpoint(self, name: str) -> Stats | None:
        """One endpoint's statistics, or None when it got no request in this phase."""
        return next((stats for endpoint, stats in self.endpoints if endpoint == name), None)

    def describe(self) -> str:
        """'during: 312 requests (10.4/s), 0.00 % failed, p95 812 ms'."""
        p95 = self.total.quantile(0.95)
        shown = f"{p95 * 1000:.0f} ms" if p95 is not None else "-"
        rate = self.total.error_rate or 0.0
        return (
            f"{self.phase.name}: {self.total.requests} requests ({self.total.rps:.1f}/s), "
            f"{rate * 100:.2f} % failed, p95 {shown}"
        )


def phase_stats(samples: Iterable[RequestSample], phase: Phase) -> PhaseStats:
    """Statistics of the requests that *started* within ``phase``: that is when the user asked."""
    inside = [s for s in samples if phase.start <= s.start < phase.end]
    by_endpoint: dict[str, list[RequestSample]] = {}
    for sample in inside:
        by_endpoint.setdefault(sample.endpoint, []).append(sample)
    return PhaseStats(
        phase=phase,
        total=summarize(inside, phase.seconds),
        endpoints=tuple((name, summarize(group, phase.seconds)) for name, group in sorted(by_endpoint.items())),
    )


def drill_phases(
    timeline: Timeline,
    start: float,
    end: float,
    fault: str = "injected",
    recovery: tuple[str, ...] = ("reverted", "recovered"),
) -> tuple[Phase, ...]:
    """``before`` the fault, ``during`` it and ``after`` recovery, cut at the timeline's events (monotonic clock).

    ``start`` and ``end`` bound the load; the first ``fault`` event and the first recovery event after it cut it.
    Without a fault event the whole run is one ``before`` phase; without recovery, ``during`` lasts to the end.
    """
    injected = timeline.first(fault)
    if injected is None:
        return (Phase("before", start, end),)
    cut = timeline.t0 + injected.at
    ended = [e for e in timeline.events if e.kind in recovery and e.at >= injected.at]
    if not ended:
        return (Phase("before", start, cut), Phase("during", cut, end))
    back = timeline.t0 + min(e.at for e in ended)
    return (Phase("before", start, cut), Phase("during", cut, back), Phase("after", back, end))
