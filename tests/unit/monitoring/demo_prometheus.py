"""A real Prometheus (Debian's binary on a free loopback port) scraping a tiny exporter of gauges the test sets, every
second: the PromQL tests' monitoring, one per test module."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from opsready.errors import ProbeError
from opsready.monitoring.client import PrometheusClient
from tests.prometheus_run import prometheus_scraping, wait_until

SCRAPE = 1.0  # seconds between Prometheus's scrapes of the exporter
NEEDS_PROMETHEUS = pytest.mark.skipif(
    shutil.which("prometheus") is None, reason="Debian's prometheus package is not installed"
)


def _handler(gauges: dict[str, float]) -> type[BaseHTTPRequestHandler]:
    class Exporter(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = "".join(f'{k}{{service="api"}} {v}\n' for k, v in gauges.items()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return None

    return Exporter


def scraped(client: PrometheusClient, metric: str, value: float) -> bool:
    """Whether Prometheus's latest sample of ``metric`` is ``value``."""
    try:
        answer = client.query(metric)
    except ProbeError:  # not ready yet
        return False
    return any(v == value for _, v in answer)


def set_gauge(client: PrometheusClient, gauges: dict[str, float], metric: str, value: float) -> None:
    """Set a gauge and wait until Prometheus has scraped it (the wait is not what is measured)."""
    gauges[metric] = value
    deadline = time.monotonic() + 30
    while not scraped(client, metric, value):
        assert time.monotonic() < deadline, f"Prometheus did not scrape {metric} = {value} within 30 s"
        time.sleep(0.1)


@contextmanager
def demo_prometheus(tmp: Path, gauges: dict[str, float], ready_metric: str) -> Iterator[PrometheusClient]:
    """Prometheus scraping ``gauges`` every second, ready once it has scraped ``ready_metric``."""
    exporter = ThreadingHTTPServer(("127.0.0.1", 0), _handler(gauges))
    threading.Thread(target=exporter.serve_forever, daemon=True).start()
    try:
        target = f"127.0.0.1:{exporter.server_port}"
        with prometheus_scraping(tmp, {"demo": [target]}, SCRAPE) as client:
            wait_until(lambda: scraped(client, ready_metric, gauges[ready_metric]), 60, "the exporter scraped")
            yield client
    finally:
        exporter.shutdown()
        exporter.server_close()
