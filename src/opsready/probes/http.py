"""HTTP probes through the target's public URL: liveness, readiness, version, and a functional smoke test."""

from __future__ import annotations

import functools
import ssl
import time

import httpx

from opsready.observation import Observation
from opsready.targets.protocol import Target

INTERNAL_ENDPOINTS = frozenset({"/healthz", "/readyz", "/metrics", "/version"})


@functools.lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    # httpx builds this context for every client it makes, which costs 0.1-0.4 s of CPU on a busy machine: once is
    # enough (an SSLContext is safe to share between threads), and a probe then times the request, not the setup
    return httpx.create_ssl_context()


def client(base_url: str = "", timeout: float = 2.0) -> httpx.Client:
    """An HTTP client for probes: cheap to make, since every client shares one default TLS context."""
    return httpx.Client(base_url=base_url, timeout=timeout, verify=_tls())


def _get(target: Target, path: str, timeout: float) -> tuple[int | None, str, float]:
    with client(timeout=timeout) as http_client:
        start = time.monotonic()
        try:
            response = http_client.get(f"{target.base_url}{path}")
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:200], time.monotonic() - start
        return response.status_code, response.text[:300], time.monotonic() - start


def liveness(target: Target, timeout: float = 2.0) -> Observation:
    """The service process answers /healthz."""
    status, body, _ = _get(target, "/healthz", timeout)
    return Observation("liveness", status == 200, status, "", body if status != 200 else "HTTP 200")


def readiness(target: Target, timeout: float = 2.0) -> Observation:
    """The service says it can serve (/readyz checks its database and schema)."""
    status, body, _ = _get(target, "/readyz", timeout)
    detail = "HTTP 200 ready" if status == 200 else (f"HTTP {status}: {body}" if status else body)
    return Observation("readiness", status == 200, status, "", detail)


def version(target: Target, expect: str = "", timeout: float = 2.0) -> Observation:
    """The version the service reports (and, when ``expect`` is set, that it is that one)."""
    try:
        with client(timeout=timeout) as http_client:
            served = str(http_client.get(f"{target.base_url}/version").json().get("version", ""))
    except (httpx.HTTPError, ValueError) as exc:
        return Observation("version", False, None, "", f"{type(exc).__name__}")
    ok = served == expect if expect else bool(served)
    detail = f"expected {expect}" if expect and not ok else ""
    return Observation("version", ok, served, "", detail)


def smoke(target: Target, orders: int = 6, timeout: float = 3.0) -> Observation:
    """Browse, create ``orders`` orders and read each back: the user's path end to end."""
    failures: list[str] = []
    created = 0
    with client(target.base_url, timeout) as http_client:
        try:
            if http_client.get("/products").status_code != 200:
                failures.append("GET /products")
            for i in range(orders):
                response = http_client.post("/orders", json={"item": "smoke-test", "quantity": i + 1})
                if response.status_code != 201:
                    failures.append(f"POST /orders -> {response.status_code}")
                    continue
                created += 1
                order_id = response.json()["id"]
                if http_client.get(f"/orders/{order_id}").status_code != 200:
                    failures.append(f"GET /orders/{order_id}")
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            failures.append(f"{type(exc).__name__}: {exc}"[:200])
    ok = not failures
    detail = f"{created}/{orders} orders created" + ("" if ok else "; failed: " + ", ".join(failures[:3]))
    return Observation("smoke", ok, float(len(failures)), " failures", detail)


def response_time(target: Target, path: str = "/products", max_s: float = 0.3, timeout: float = 5.0) -> Observation:
    """How long a user waits for ``path`` through the public URL (the network included, unlike server metrics)."""
    status, body, seconds = _get(target, path, timeout)
    if status != 200:
        return Observation("response_time", False, seconds * 1000, " ms", f"GET {path}: {status or body}")
    detail = f"GET {path} answered in {seconds * 1000:.0f} ms, max {max_s * 1000:.0f} ms"
    return Observation("response_time", seconds <= max_s, seconds * 1000, " ms", detail)
