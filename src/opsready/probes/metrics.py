"""Error rate and latency from the service's Prometheus metrics (names and labels from its profile), over a window
between two scrapes."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from opsready.errors import ProbeError
from opsready.observation import Observation
from opsready.probes.http import INTERNAL_ENDPOINTS, client
from opsready.profile import profile_of
from opsready.targets.protocol import Target

REQUESTS = "opsready_http_requests"  # the names a profile without a 'metrics:' section is assumed to export
DURATION = "opsready_http_request_duration_seconds"


def _names(target: Target) -> tuple[str, str, str, str, frozenset[str]]:
    """(requests sample, duration histogram, endpoint label, status label, endpoints that are not users')."""
    profile = profile_of(target)
    endpoints = profile.endpoints
    internal = INTERNAL_ENDPOINTS | {endpoints.health, endpoints.readiness, endpoints.version}
    spec = profile.metrics
    if spec is None:
        return f"{REQUESTS}_total", DURATION, "endpoint", "status", internal
    requests = spec.requests if spec.requests.endswith("_total") else f"{spec.requests}_total"
    return requests, spec.duration or DURATION, spec.endpoint_label, spec.status_label, internal


@dataclass(frozen=True)
class Scrape:
    """Counters from one scrape of /metrics, for user-facing endpoints only."""

    at: float
    requests: float
    errors: float
    buckets: tuple[tuple[float, float], ...]  # (upper bound, cumulative count), sorted


def scrape(target: Target, timeout: float = 2.0) -> Scrape:
    """Read /metrics once."""
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    url = f"{target.base_url}/metrics"
    try:
        with client(timeout=timeout) as http_client:
            response = http_client.get(url)
    except httpx.HTTPError as exc:
        raise ProbeError(f"cannot scrape metrics: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise ProbeError(f"cannot scrape metrics: {url} answered {response.status_code}")
    try:
        families = list(text_string_to_metric_families(response.text))
    except ValueError as exc:  # the parser's word for a page that is not the Prometheus text format
        raise ProbeError(f"cannot scrape metrics: {url} is not in the Prometheus text format ({exc})") from None
    requests_name, duration_name, endpoint_label, status_label, internal = _names(target)
    requests = errors = 0.0
    buckets: dict[float, float] = {}
    for family in families:
        for sample in family.samples:
            endpoint = sample.labels.get(endpoint_label, "")
            if endpoint in internal:
                continue
            if sample.name == requests_name:
                requests += sample.value
                if sample.labels.get(status_label, "").startswith("5"):
                    errors += sample.value
            elif sample.name == f"{duration_name}_bucket":
                bound = float(sample.labels["le"])
                buckets[bound] = buckets.get(bound, 0.0) + sample.value
    return Scrape(time.monotonic(), requests, errors, tuple(sorted(buckets.items())))


@dataclass(frozen=True)
class Window:
    """What happened between two scrapes."""

    seconds: float
    requests: float
    errors: float
    buckets: tuple[tuple[float, float], ...]

    @property
    def error_rate(self) -> float | None:
        """Share of requests answered with 5xx (None without traffic)."""
        return self.errors / self.requests if self.requests > 0 else None

    def quantile(self, q: float) -> float | None:
        """Latency quantile by linear interpolation within histogram buckets, like PromQL's histogram_quantile."""
        if not self.buckets or self.buckets[-1][1] <= 0:
            return None
        total = self.buckets[-1][1]
        rank = q * total
        lower_bound, lower_count = 0.0, 0.0
        for bound, count in self.buckets:
            if count >= rank:
                if math.isinf(bound):
                    return lower_bound
                if count == lower_count:
                    return bound
                return lower_bound + (bound - lower_bound) * (rank - lower_count) / (count - lower_count)
            lower_bound, lower_count = bound, count
        return lower_bound


def window(before: Scrape, after: Scrape) -> Window:
    """The difference between two scrapes (counters reset by a restart count from zero)."""
    old = dict(before.buckets)
    buckets = tuple((b, max(0.0, c - old.get(b, 0.0))) for b, c in after.buckets)
    return Window(
        seconds=after.at - before.at,
        requests=max(0.0, after.requests - before.requests),
        errors=max(0.0, after.errors - before.errors),
        buckets=buckets,
    )


def error_rate(target: Target, window_s: float = 2.0, max_rate: float = 0.01) -> Observation:
    """Share of failed user requests over the next ``window_s`` seconds."""
    first = scrape(target)
    time.sleep(window_s)
    w = window(first, scrape(target))
    rate = w.error_rate
    if rate is None:
        return Observation("error_rate", True, None, "", f"no user traffic in {window_s:.1f} s")
    detail = f"{w.errors:.0f}/{w.requests:.0f} failed over {w.seconds:.1f} s, max {max_rate:.1%}"
    return Observation("error_rate", rate <= max_rate, rate * 100, "%", detail)


def latency(target: Target, window_s: float = 2.0, quantile: float = 0.95, max_s: float = 0.3) -> Observation:
    """Latency quantile of user requests over the next ``window_s`` seconds."""
    first = scrape(target)
    time.sleep(window_s)
    value = window(first, scrape(target)).quantile(quantile)
    if value is None:
        return Observation("latency", True, None, "", f"no user traffic in {window_s:.1f} s")
    detail = f"p{quantile * 100:.0f} over {window_s:.1f} s, max {max_s * 1000:.0f} ms"
    return Observation("latency", value <= max_s, value * 1000, " ms", detail)
