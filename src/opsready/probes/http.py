"""HTTP probes through the target's public URL: liveness, readiness, version, and a functional smoke test."""

from __future__ import annotations

import time

import httpx

from opsready.probes.observation import Observation
from opsready.target.protocol import Target

INTERNAL_ENDPOINTS = frozenset({"/healthz", "/readyz", "/metrics", "/version"})


def _get(target: Target, path: str, timeout: float) -> tuple[int | None, str, float]:
    start = time.monotonic()
    try:
        response = httpx.get(f"{target.base_url}{path}", timeout=timeout)
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
        served = str(httpx.get(f"{target.base_url}/version", timeout=timeout).json().get("version", ""))
    except (httpx.HTTPError, ValueError) as exc:
        return Observation("version", False, None, "", f"{type(exc).__name__}")
    ok = served == expect if expect else bool(served)
    detail = f"expected {expect}" if expect and not ok else ""
    return Observation("version", ok, served, "", detail)


def smoke(target: Target, orders: int = 6, timeout: float = 3.0) -> Observation:
    """Browse, create ``orders`` orders and read each back: the user's path end to end."""
    failures: list[str] = []
    created = 0
    with httpx.Client(base_url=target.base_url, timeout=timeout) as client:
        try:
            if client.get("/products").status_code != 200:
                failures.append("GET /products")
            for i in range(orders):
                response = client.post("/orders", json={"item": "smoke-test", "quantity": i + 1})
                if response.status_code != 201:
                    failures.append(f"POST /orders -> {response.status_code}")
                    continue
                created += 1
                order_id = response.json()["id"]
                if client.get(f"/orders/{order_id}").status_code != 200:
                    failures.append(f"GET /orders/{order_id}")
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            failures.append(f"{type(exc).__name__}: {exc}"[:200])
    ok = not failures
    detail = f"{created}/{orders} orders created" + ("" if ok else "; failed: " + ", ".join(failures[:3]))
    return Observation("smoke", ok, float(len(failures)), " failures", detail)
