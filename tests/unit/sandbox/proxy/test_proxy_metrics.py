"""A proxy's /metrics: what Prometheus reads of it, including the connections users saw fail because the program
behind the proxy was down (which that program's own counters cannot count)."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families

from .conftest import HOST, ProxyProcess, free_port


def scrape(proxy: ProxyProcess) -> dict[str, float]:
    """The proxy's samples by name (labels dropped: one proxy), once its metrics server answers."""
    deadline = time.monotonic() + 5.0
    while True:
        try:
            text = httpx.get(f"http://{HOST}:{proxy.metrics_port}/metrics", timeout=2.0).text
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the proxy's /metrics did not answer within 5 s"
            time.sleep(0.05)
    return {s.name: s.value for family in text_string_to_metric_families(text) for s in family.samples}


def test_connections_aborted_because_the_upstream_is_down_are_counted(
    start_proxy: Callable[..., ProxyProcess],
) -> None:
    """In front of a port nobody listens on, every client connection is accepted and then aborted: each one counts
    as an upstream failure, so a KPI at the edge sees users fail while the service is down."""
    proxy = start_proxy(upstream=free_port(), metrics_port=free_port())
    for _ in range(3):
        with proxy.connect() as sock:
            try:
                answered = sock.recv(16)
            except ConnectionResetError:
                answered = b""
            assert answered == b""  # closed on us: nothing was passed on
    deadline = time.monotonic() + 5.0
    while (samples := scrape(proxy))["opsready_proxy_upstream_failures_total"] < 3:
        assert time.monotonic() < deadline, samples
        time.sleep(0.05)
    assert samples["opsready_proxy_upstream_failures_total"] == 3, samples
    assert samples["opsready_proxy_accepted_connections_total"] == 3, samples


def test_connections_passed_on_are_accepted_and_not_failures(start_proxy: Callable[..., ProxyProcess]) -> None:
    """In front of a live upstream the same connections are accepted and carried: no upstream failure."""
    proxy = start_proxy(metrics_port=free_port())
    for _ in range(2):
        with proxy.connect() as sock:
            sock.sendall(b"ping")
            assert sock.recv(16) == b"ping"
    samples = scrape(proxy)
    assert samples["opsready_proxy_accepted_connections_total"] == 2, samples
    assert samples["opsready_proxy_upstream_failures_total"] == 0, samples
    assert samples["opsready_proxy_bytes_total"] > 0, samples
