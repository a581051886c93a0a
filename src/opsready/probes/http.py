"""HTTP probes through the target's public URL: liveness, readiness, version, and the profile's smoke test."""

from __future__ import annotations

import functools
import json
import ssl
import time
from typing import TYPE_CHECKING

from opsready.observation import Observation
from opsready.profile import JsonPath, kind_of, profile_of, run_journey
from opsready.targets.protocol import Target

if TYPE_CHECKING:
    import httpx

INTERNAL_ENDPOINTS = frozenset({"/healthz", "/readyz", "/metrics", "/version"})


@functools.lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    # httpx builds this context for every client it makes, which costs 0.1-0.4 s of CPU on a busy machine: once is
    # enough (an SSLContext is safe to share between threads), and a probe then times the request, not the setup
    import httpx

    return httpx.create_ssl_context()


def client(base_url: str = "", timeout: float = 2.0) -> httpx.Client:
    """An HTTP client for probes: cheap to make, since every client shares one default TLS context."""
    import httpx

    return httpx.Client(base_url=base_url, timeout=timeout, verify=_tls())


def _get(target: Target, path: str, timeout: float, limit: int = 300) -> tuple[int | None, str, float]:
    import httpx

    with client(timeout=timeout) as http_client:
        start = time.monotonic()
        try:
            response = http_client.get(f"{target.base_url}{path}")
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:200], time.monotonic() - start
        return response.status_code, response.text[:limit], time.monotonic() - start


def liveness(target: Target, timeout: float = 2.0) -> Observation:
    """The service process answers its health endpoint (the profile's; /healthz by default)."""
    status, body, _ = _get(target, profile_of(target).endpoints.health, timeout)
    return Observation("liveness", status == 200, status, "", body if status != 200 else "HTTP 200")


def readiness(target: Target, timeout: float = 2.0) -> Observation:
    """The service says it can serve (its readiness endpoint, e.g. one that checks its database)."""
    status, body, _ = _get(target, profile_of(target).endpoints.readiness, timeout)
    detail = "HTTP 200 ready" if status == 200 else (f"HTTP {status}: {body}" if status else body)
    return Observation("readiness", status == 200, status, "", detail)


def served_version(body: str, field: JsonPath) -> str:
    """The release a version endpoint answers: ``field`` of a JSON object, or the answer itself when it is one line of
    plain text (``2.4.1``) or a bare JSON value (``"2.4.1"``, ``2``); empty when it names none."""
    text = body.strip()
    try:
        document = json.loads(text)
    except ValueError:
        return text if text and "\n" not in text and len(text) <= 200 else ""
    if isinstance(document, str):
        return document
    if not isinstance(document, dict | list):
        return text if document is not None else ""
    found, value = field.find(document)
    return str(value) if found and value is not None else ""


def version(target: Target, expect: str = "", timeout: float = 2.0) -> Observation:
    """The version the service reports (and, when ``expect`` is set, that it is that one)."""
    endpoints = profile_of(target).endpoints
    status, body, _ = _get(target, endpoints.version, timeout, limit=10_000)
    if status != 200:
        return Observation("version", False, None, "", f"HTTP {status}: {body}" if status else body)
    served = served_version(body, endpoints.version_field)
    ok = served == expect if expect else bool(served)
    detail = f"expected {expect}" if expect and not ok else ""
    return Observation("version", ok, served, "", detail)


def smoke(target: Target, runs: int = 0, timeout: float = 0.0, orders: int = 0) -> Observation:
    """The profile's smoke test: each of its journeys ``runs`` times (the profile's number when 0), every answer as
    expected. Writing journeys that would leave data behind are held back on a real target, and the detail says so.
    (``orders`` is the former name of ``runs``.)"""
    profile = profile_of(target)
    kind = kind_of(target)
    smoke = profile.smoke
    runs = runs or orders or smoke.runs
    chosen = [profile.journey(name) for name in smoke.journeys]
    allowed = [j for j in chosen if j.allowed_on(kind)]
    held = [j.name for j in chosen if not j.allowed_on(kind)]
    failures: list[str] = []
    passed = 0
    with client(target.base_url, timeout or smoke.timeout) as http_client:
        for _ in range(runs):
            for journey in allowed:
                result = run_journey(http_client, journey)
                if result.ok:
                    passed += 1
                else:
                    failures.append(result.failure or result.cleanup_failure)
    total = runs * len(allowed)
    ok = not failures and total > 0
    names = ", ".join(j.name for j in allowed) or "none"
    detail = f"{passed}/{total} journeys passed ({names})"
    if held:
        detail += f"; held back on a real target (they write and do not clean up): {', '.join(held)}"
    if failures:
        detail += "; failed: " + "; ".join(list(dict.fromkeys(failures))[:2])  # each distinct failure once
    return Observation("smoke", ok, float(len(failures)), " failures", detail)


def response_time(target: Target, path: str = "", max_s: float = 0.3, timeout: float = 5.0) -> Observation:
    """How long a user waits for ``path`` (the profile's page by default) through the public URL (the network
    included, unlike server metrics)."""
    path = path or profile_of(target).endpoints.page
    status, body, seconds = _get(target, path, timeout)
    if status != 200:
        return Observation("response_time", False, seconds * 1000, " ms", f"GET {path}: {status or body}")
    detail = f"GET {path} answered in {seconds * 1000:.0f} ms, max {max_s * 1000:.0f} ms"
    return Observation("response_time", seconds <= max_s, seconds * 1000, " ms", detail)
