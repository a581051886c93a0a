"""What users saw, per phase and per second: failures, impact window, p95."""

from __future__ import annotations

from opsready.traffic import Sample, TrafficReport


def report() -> TrafficReport:
    samples = [Sample(100.0 + i * 0.1, "/orders", 200, 0.01 + i * 0.001) for i in range(20)]
    samples += [Sample(102.5, "/orders", 500, 0.02), Sample(102.7, "/orders", None, 1.0, "ConnectError")]
    samples += [Sample(103.1, "/products", 200, 0.2)]
    return TrafficReport(tuple(samples))


def test_failures_are_server_errors_and_no_answers() -> None:
    """A 500 and a connection error count; 2xx do not."""
    r = report()
    assert r.total == 23
    assert r.failed == 2
    assert "/orders -> 500" in r.describe()
    assert "ConnectError" in r.describe()


def test_impact_window_spans_first_to_last_failure() -> None:
    """User impact begins at the first failed request and ends at the last."""
    assert report().impact() == (102.5, 102.7)
    assert report().between(100.0, 102.0).impact() is None


def test_series_buckets_per_second_relative_to_the_timeline() -> None:
    """One point per second since t0 with requests, failures and p95 of the successful ones."""
    points = report().series(t0=100.0)
    assert [p.at for p in points] == [0.0, 1.0, 2.0, 3.0]
    assert [p.requests for p in points] == [10, 10, 2, 1]
    assert [p.failed for p in points] == [0, 0, 2, 0]
    assert points[2].p95 is None
    assert points[3].p95 == 0.2
    assert points[0].p95 is not None
    assert 0.018 <= points[0].p95 <= 0.0191
