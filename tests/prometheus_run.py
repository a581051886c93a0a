"""A Prometheus of a test's own: Debian's binary on a free loopback port, scraping the targets the test names,
stopped by its own process group afterwards (the PromQL unit tests' exporter, the fleet's HAProxy)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from opsready.monitoring.client import PrometheusClient
from opsready.processes import free_port


def wait_until(condition: Callable[[], bool], within: float, what: str) -> None:
    """Poll ``condition`` every 0.2 s; fail the test naming ``what`` when it does not hold within ``within`` s."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"not within {within:g} s: {what}"
        time.sleep(0.2)


@contextmanager
def prometheus_scraping(tmp: Path, jobs: dict[str, list[str]], interval: float) -> Iterator[PrometheusClient]:
    """Prometheus scraping each job's targets (``host:port``) every ``interval`` seconds, once it is ready."""
    config = tmp / "prometheus.yml"
    scrapes = "".join(
        f"  - job_name: {job}\n    static_configs: [{{targets: {targets!r}}}]\n" for job, targets in jobs.items()
    )
    config.write_text(
        f"global: {{scrape_interval: {interval:g}s, evaluation_interval: {interval:g}s}}\nscrape_configs:\n{scrapes}",
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
        wait_until(lambda: proc.poll() is None and client.ready(), 60, f"Prometheus ready ({tmp / 'prometheus.log'})")
        yield client
    finally:
        if proc.poll() is None and os.getpgid(proc.pid) == proc.pid:  # the group this helper started
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
