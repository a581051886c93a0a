"""A real Prometheus (Debian's binary on a free loopback port) scraping a tiny exporter of gauges the test sets, every
second: the PromQL tests' monitoring, one per test module. Stopped by its own process group."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from opsready.errors import ProbeError
from opsready.monitoring.client import PrometheusClient
from opsready.processes import free_port

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
    config = tmp / "prometheus.yml"
    config.write_text(
        f"global: {{scrape_interval: {SCRAPE:g}s, evaluation_interval: {SCRAPE:g}s}}\n"
        "scrape_configs:\n"
        f"  - job_name: demo\n    static_configs: [{{targets: ['127.0.0.1:{exporter.server_port}']}}]\n",
        encoding="utf-8",
    )
    port = free_port()
    log = (tmp / "prometheus.log").open("w")
    proc = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    client = PrometheusClient(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while not (client.ready() and scraped(client, ready_metric, gauges[ready_metric])):
            assert proc.poll() is None, (tmp / "prometheus.log").read_text()
            assert time.monotonic() < deadline, "Prometheus did not scrape the exporter within 60 s"
            time.sleep(0.2)
        yield client
    finally:
        if proc.poll() is None and os.getpgid(proc.pid) == proc.pid:  # the group this fixture started
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
        exporter.shutdown()
        exporter.server_close()
