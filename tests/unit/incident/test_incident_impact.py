"""User impact from background traffic: failed and slow requests, when the incident's impact began and ended,
and noise outside the incident."""

from __future__ import annotations

from opsready.incident.impact import FAILED, NONE, SLOW, measure_impact
from opsready.traffic import Sample, TrafficReport


def ok(at: float, latency: float = 0.02) -> Sample:
    return Sample(at, "/products", 200, latency)


def failed(at: float) -> Sample:
    return Sample(at, "/orders", None, 0.01, "ConnectError")


def steady(start: float, end: float, every: float = 0.1, latency: float = 0.02) -> list[Sample]:
    count = round((end - start) / every)
    return [ok(start + i * every, latency) for i in range(count)]


def test_failures_during_the_incident_set_its_window() -> None:
    """Began when the first failed request ended, ended when the last one started."""
    samples = [*steady(100, 110), failed(103.05), failed(104.5), failed(106.2)]
    impact = measure_impact(TrafficReport(tuple(samples)), 0.3, 103.0, 108.0)
    assert impact.kind == FAILED and impact.failed == 3 and impact.slow == 0
    assert impact.began == 103.06 and impact.ended == 106.2
    assert "3 of 103 requests failed" in impact.describe(100.0)


def test_a_lone_slow_request_is_not_impact_but_a_slow_second_is() -> None:
    """p95 decides whether a second was slow; then its slow requests count."""
    lone = [*steady(100, 110), ok(101.5, 0.9)]
    assert measure_impact(TrafficReport(tuple(lone)), 0.3, 100.0, 110.0).kind == NONE
    slowed = steady(100, 103) + steady(103, 105, latency=0.5) + steady(105, 110)
    impact = measure_impact(TrafficReport(tuple(slowed)), 0.3, 102.5, 106.0)
    assert impact.kind == SLOW and impact.slow == 20
    assert impact.began == 103.5 and impact.ended is not None and round(impact.ended, 1) == 104.9


def test_impact_outside_the_incident_is_noise() -> None:
    """A failure long before the fault does not move the incident's window; it is counted as noise."""
    samples = [*steady(100, 120), failed(101.0), failed(110.0)]
    impact = measure_impact(TrafficReport(tuple(samples)), 0.3, 109.0, 112.0)
    assert impact.failed == 1 and impact.noise == 1 and impact.began == 110.01
    assert "1 more outside the incident" in impact.describe()


def test_impact_running_into_the_incident_is_part_of_it() -> None:
    """Failures that began before the fault and go on into it form one run: the window starts before the fault,
    which a drill then rejects."""
    samples = [*steady(100, 110), failed(102.2), failed(103.4), failed(104.6)]
    impact = measure_impact(TrafficReport(tuple(samples)), 0.3, 104.0, 106.0)
    assert impact.failed == 3 and impact.began is not None and impact.began < 104.0
