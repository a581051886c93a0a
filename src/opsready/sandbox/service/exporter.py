"""``/metrics`` of the sandbox's programs that serve nothing else over HTTP (the worker, the fault proxies).

Each has a registry of its own, served on a loopback port of its own by prometheus_client's threaded server, so
Prometheus scrapes every program separately (``up`` per job says which one is gone). The api's metrics are in
:mod:`opsready.sandbox.service.metrics`; they are shared by gunicorn's workers, these are per process.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

HOST = "127.0.0.1"


def serve(registry: CollectorRegistry, port: int) -> None:
    """Serve ``registry`` at ``http://127.0.0.1:<port>/metrics`` from a daemon thread (0: not at all)."""
    if port:
        start_http_server(port, addr=HOST, registry=registry)


class WorkerMetrics:
    """What the worker did: batches by outcome, orders fulfilled, and when a batch last succeeded."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.batches = Counter(
            "opsready_worker_batches_total", "Fulfilment batches run.", ["outcome"], registry=self.registry
        )
        self.fulfilled = Counter("opsready_worker_orders_fulfilled_total", "Orders fulfilled.", registry=self.registry)
        self.last_success = Gauge(
            "opsready_worker_last_success_timestamp_seconds",
            "Unix time of the last batch that reached the database.",
            registry=self.registry,
        )
        for outcome in ("ok", "failed"):
            self.batches.labels(outcome)

    def batch(self, fulfilled: int | None) -> None:
        """One batch: ``None`` when it failed, else how many orders it fulfilled."""
        if fulfilled is None:
            self.batches.labels("failed").inc()
            return
        self.batches.labels("ok").inc()
        self.fulfilled.inc(fulfilled)
        self.last_success.set(time.time())


class ProxyCollector:
    """A proxy's live figures, read from it at each scrape (connections, bytes, whether it listens, its toxics, the
    connections it could not pass upstream)."""

    def __init__(self, proxy: Any) -> None:
        self.proxy = proxy

    def collect(self) -> Any:
        """The samples of one scrape."""
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        status = self.proxy.status()
        name = status.name
        listening = GaugeMetricFamily(
            "opsready_proxy_listening", "1 while the proxy accepts clients.", labels=["proxy"]
        )
        listening.add_metric([name], 1.0 if status.listening else 0.0)
        connections = GaugeMetricFamily("opsready_proxy_connections", "Open client connections.", labels=["proxy"])
        connections.add_metric([name], float(status.connections))
        toxics = GaugeMetricFamily("opsready_proxy_toxics", "Faults the proxy applies now.", labels=["proxy"])
        toxics.add_metric([name], float(len(status.toxics)))
        moved = CounterMetricFamily(
            "opsready_proxy_bytes", "Bytes forwarded, by direction.", labels=["proxy", "direction"]
        )
        moved.add_metric([name, "up"], float(status.bytes_up))
        moved.add_metric([name, "down"], float(status.bytes_down))
        # every client connection, and those aborted because the upstream refused or did not answer: what a user
        # saw fail while the program behind the proxy was down, which that program's own counters cannot count
        traffic = self.proxy.traffic
        accepted = CounterMetricFamily(
            "opsready_proxy_accepted_connections", "Client connections accepted.", labels=["proxy"]
        )
        accepted.add_metric([name], float(traffic.accepted))
        failed = CounterMetricFamily(
            "opsready_proxy_upstream_failures",
            "Client connections aborted because the upstream refused or did not answer in time.",
            labels=["proxy"],
        )
        failed.add_metric([name], float(traffic.upstream_failed))
        return [listening, connections, toxics, moved, accepted, failed]


def proxy_registry(proxy: Any) -> CollectorRegistry:
    """A registry holding one proxy's collector."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ProxyCollector(proxy))
    return registry
