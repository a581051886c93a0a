"""Prometheus metrics of the api, multiprocess-aware: gunicorn's workers each write, ``/metrics`` adds them up.

With ``PROMETHEUS_MULTIPROC_DIR`` set (before prometheus_client is imported, as gunicorn's environment does) every
worker writes its samples to files there and ``/metrics`` collects them all; ``gunicorn_conf.child_exit`` marks dead
workers. Without it (tests, a single process) the default registry is used.
"""

from __future__ import annotations

import os
import re
import time

import flask
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

# from 5 ms (a cached read) to 2 s (the statement timeout) and a bit beyond
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
UNMATCHED = "unmatched"  # requests no route matched share one label: raw paths would explode the series

REQUESTS = Counter("opsready_http_requests_total", "HTTP requests answered.", ["method", "endpoint", "status"])
DURATION = Histogram(
    "opsready_http_request_duration_seconds", "Time to answer a request.", ["endpoint"], buckets=BUCKETS
)
ORDERS_CREATED = Counter("opsready_orders_created_total", "Orders accepted (201).")
RELEASE_INFO = Gauge(
    "opsready_release_info",
    "The release the api's live workers serve.",
    ["version", "training"],
    multiprocess_mode="livemax",
)
_CONVERTER = re.compile(r"<(?:[^<>:]+:)?([^<>:]+)>")


def endpoint_label(rule: str | None) -> str:
    """The route template a request matched, without converters: ``/orders/<int:id>`` -> ``/orders/<id>``."""
    return UNMATCHED if rule is None else _CONVERTER.sub(r"<\1>", rule)


def _started() -> None:
    flask.g.opsready_started = time.perf_counter()


def _observed(response: flask.Response) -> flask.Response:
    started = flask.g.pop("opsready_started", None)
    rule = flask.request.url_rule
    endpoint = endpoint_label(rule.rule if rule is not None else None)
    REQUESTS.labels(flask.request.method, endpoint, str(response.status_code)).inc()
    if started is not None:
        DURATION.labels(endpoint).observe(time.perf_counter() - started)
    return response


def instrument(app: flask.Flask, version: str, training: bool) -> None:
    """Count and time every request the app answers, and publish which release it serves."""
    app.before_request(_started)
    app.after_request(_observed)
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        RELEASE_INFO.clear()  # one process, possibly several apps (tests): the latest one counts
    RELEASE_INFO.labels(version, str(training).lower()).set(1)


def render() -> tuple[bytes, str]:
    """The exposition text and its content type, gathered from every worker in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
