"""Error rate and latency quantiles from two scrapes of Prometheus counters."""

from __future__ import annotations

import math

import pytest

from opsready.probes.metrics import Scrape, window


def scrape(at: float, requests: float, errors: float, buckets: dict[float, float]) -> Scrape:
    return Scrape(at, requests, errors, tuple(sorted(buckets.items())))


def test_error_rate_is_the_share_of_5xx_in_the_window() -> None:
    """Only what happened between the scrapes counts."""
    w = window(scrape(0, 100, 1, {}), scrape(2, 200, 21, {}))
    assert w.requests == 100
    assert w.error_rate == pytest.approx(0.20)


def test_no_traffic_means_no_error_rate() -> None:
    """Zero requests is 'unknown', not 0 %."""
    assert window(scrape(0, 5, 0, {}), scrape(1, 5, 0, {})).error_rate is None


def test_quantile_interpolates_like_histogram_quantile() -> None:
    """p95 falls in the bucket holding the 95th percentile, interpolated linearly."""
    before = scrape(0, 0, 0, {0.1: 0, 0.5: 0, math.inf: 0})
    after = scrape(1, 100, 0, {0.1: 50, 0.5: 100, math.inf: 100})
    w = window(before, after)
    assert w.quantile(0.5) == pytest.approx(0.1)
    assert w.quantile(0.95) == pytest.approx(0.1 + 0.4 * 45 / 50)


def test_slow_release_shows_in_p95() -> None:
    """A release answering in 400 ms puts p95 above a 300 ms trigger."""
    before = scrape(0, 0, 0, {0.05: 10, 0.25: 10, 0.5: 10, math.inf: 10})
    after = scrape(1, 0, 0, {0.05: 12, 0.25: 12, 0.5: 40, math.inf: 40})
    q = window(before, after).quantile(0.95)
    assert q is not None
    assert q > 0.3


def test_counter_reset_never_gives_negative_counts() -> None:
    """A restart resets counters; the window treats it as zero, never negative."""
    w = window(scrape(0, 500, 50, {1.0: 500}), scrape(1, 3, 0, {1.0: 3}))
    assert w.requests == 0
    assert w.buckets == ((1.0, 0.0),)
