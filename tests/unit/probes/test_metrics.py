"""Error rate and latency quantiles from two scrapes of Prometheus counters."""

from __future__ import annotations

import http.server
import math
import threading
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from opsready.errors import ProbeError
from opsready.probes.metrics import Scrape, window
from opsready.probes.metrics import scrape as scrape_metrics


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


class _Page(http.server.BaseHTTPRequestHandler):
    """/metrics answers an HTML page (a load balancer's stats page), anything else a 404."""

    def do_GET(self) -> None:
        found = self.path == "/metrics"
        body = b"<html><body>stats {</body></html>" if found else b"not found"
        self.send_response(200 if found else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def page_server() -> Iterator[str]:
    """A loopback HTTP server answering what is not Prometheus metrics; shut down after the test."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.parametrize(("prefix", "said"), [("", "is not in the Prometheus text format"), ("/gone", "answered 404")])
def test_a_page_that_is_not_metrics_is_a_probe_error_not_a_traceback(page_server: str, prefix: str, said: str) -> None:
    """A balancer's HTML page or a 404 where metrics were expected: a ProbeError naming the URL."""
    target = SimpleNamespace(base_url=page_server + prefix)
    with pytest.raises(ProbeError, match=said):
        scrape_metrics(target)  # type: ignore[arg-type]
