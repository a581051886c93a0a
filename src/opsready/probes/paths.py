"""Probes of the paths users and the service take: can users get answers, is the network between users and the
service (or between the service and its database) passing traffic, and where latency comes from.

Each compares the path through the network with the same thing done directly (``DiagnosticOps.direct_url`` and the
``direct`` database path), so a fault is placed on the link rather than on what is behind it. A failed request is
classified the way a troubleshooter reads it: ``refused`` (nothing listens), ``reset`` (the connection was cut),
``timeout`` (nothing answered in time).
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from opsready.observation import Observation
from opsready.probes.http import client
from opsready.profile import profile_of
from opsready.targets.diagnostics import diagnostics_of
from opsready.targets.protocol import Target

if TYPE_CHECKING:
    import httpx

LINK_ANSWERS = ("refused", "reset", "timeout", "slow", "throttled", "behind")


def classify(exc: httpx.HTTPError) -> str:
    """refused, reset, timeout or error, from an httpx exception."""
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        return "refused" if "refused" in str(exc).lower() or "attempts failed" in str(exc).lower() else "reset"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return "reset"
    return "error"


def timed_get(base_url: str, path: str, timeout: float) -> tuple[float, int | None, str]:
    """(seconds, status or None, failure class or '') of one GET on a fresh connection."""
    import httpx

    with client(timeout=timeout) as http:
        start = time.monotonic()
        try:
            response = http.get(f"{base_url}{path}")
        except httpx.HTTPError as exc:
            return time.monotonic() - start, None, classify(exc)
        return time.monotonic() - start, response.status_code, ""


def timed_gets(base_url: str, paths: tuple[str, ...], timeout: float) -> list[tuple[float, int | None, str]]:
    """:func:`timed_get` of every path at once, in the order given: over a slow or hung link they cost one delay or
    one timeout, not one each."""
    with ThreadPoolExecutor(max_workers=max(1, len(paths)), thread_name_prefix="opsready-get") as pool:
        return list(pool.map(lambda path: timed_get(base_url, path, timeout), paths))


def availability(target: Target, timeout: float = 1.5) -> Observation:
    """Users get answers through the public URL: the readiness endpoint says ready and a page is served (both the
    profile's).

    Both requests go at once, so a slow or hung path costs one delay or one timeout, not two; a failing readiness is
    the answer before a failing page."""
    endpoints = profile_of(target).endpoints
    paths = (endpoints.readiness, endpoints.page)
    for path, (seconds, status, failure) in zip(paths, timed_gets(target.base_url, paths, timeout), strict=True):
        if status != 200:
            what = failure or f"http-{status}"
            return Observation("availability", False, what, "", f"GET {path}: {what} after {seconds * 1000:.0f} ms")
    return Observation("availability", True, None, "", f"GET {paths[0]} and GET {paths[1]} answered 200")


def direct_liveness(target: Target, timeout: float = 1.0) -> Observation:
    """The service's own port answers its health endpoint within ``timeout``, bypassing the network in front of it:
    a health check of the instance, as a load balancer or kubelet makes it. A hung service fails it within the timeout,
    however slow the users' network is."""
    health = profile_of(target).endpoints.health
    seconds, status, failure = timed_get(diagnostics_of(target).direct_url(), health, timeout)
    if status != 200:
        what = failure or f"http-{status}"
        return Observation(
            "direct_liveness",
            False,
            what,
            "",
            f"GET {health} on the service's own port: {what} after {seconds * 1000:.0f} ms",
        )
    return Observation("direct_liveness", True, seconds * 1000, " ms", f"GET {health} on the service's own port: 200")


def _stream_rate(url: str, window: float, timeout: float) -> tuple[float, bool]:
    """Bytes per second after the first byte of a GET, reading at most ``window`` seconds; and whether that was
    too short for the whole answer (a throttled link never finishes a page of metrics in time)."""
    with client(timeout=timeout) as http, http.stream("GET", url) as response:
        first: float | None = None
        received = 0
        unfinished = False
        for chunk in response.iter_bytes():
            now = time.monotonic()
            if first is None:
                first = now
            else:
                received += len(chunk)
            if now - first > window:
                unfinished = True
                break
        spent = time.monotonic() - first if first is not None else 0.0
    return (received / spent if spent > 0.01 else float("inf")), unfinished


def users_link(
    target: Target, timeout: float = 1.5, max_added: float = 0.15, min_kbps: float = 64.0, samples: int = 2
) -> Observation:
    """The network between users and the service passes traffic and adds at most ``max_added`` seconds."""
    import httpx

    direct = diagnostics_of(target).direct_url()
    page = profile_of(target).endpoints.page
    direct_times = []
    edge_times = []
    for _ in range(samples):  # one after the other: requests sent at once would queue behind each other
        seconds, status, failure = timed_get(direct, page, timeout)
        if status != 200:
            detail = f"the service itself fails (direct GET {page}: {failure or status}): look behind the link"
            return Observation("users_link", False, "behind", "", detail)
        direct_times.append(seconds)
        seconds, status, failure = timed_get(target.base_url, page, timeout)
        if status is None:
            # the link failed where the service answered: unless the service fails now too (busy, queueing), the
            # link is to blame; asking directly again tells a broken link from an overloaded service
            _, again_status, again_failure = timed_get(direct, page, timeout)
            if again_status != 200:
                detail = f"through the link: {failure}; then directly too: {again_failure or again_status}"
                return Observation("users_link", False, "behind", "", f"{detail}: look behind the link")
            detail = f"through the link: {failure} after {seconds * 1000:.0f} ms; directly: 200 OK, twice"
            return Observation("users_link", False, failure, "", detail)
        edge_times.append(seconds)
    added = min(edge_times) - min(direct_times)  # the fastest of each: queueing behind other requests only adds
    try:
        # throughput after the first byte tells a bandwidth limit from a delay, even when the service is slowed down
        # too (then "added" alone can hide the link)
        rate, unfinished = _stream_rate(f"{target.base_url}/metrics", 0.5, timeout + 1.0)
    except httpx.HTTPError as exc:
        return Observation(
            "users_link", False, classify(exc), "", f"GET /metrics through the link: {type(exc).__name__}"
        )
    shown = f"{rate / 1000:.1f} kB/s" if rate != float("inf") else "at once"
    detail = (
        f"the link adds {added * 1000:.0f} ms to GET {page} (max {max_added * 1000:.0f} ms); "
        f"throughput after the first byte {shown} (min {min_kbps:g} kB/s)"
    )
    if unfinished and rate < min_kbps * 1000:
        return Observation("users_link", False, "throttled", "", detail)
    if added > max_added:
        return Observation("users_link", False, "slow", "", detail)
    return Observation("users_link", True, None, "", detail)


def database_link(
    target: Target, timeout: float = 1.5, max_added: float = 0.1, payload_bytes: int = 16_000, samples: int = 2
) -> Observation:
    """The network between the service and its database passes traffic and adds at most ``max_added`` seconds."""
    ops = diagnostics_of(target)
    direct_times, service_times, query_times = [], [], []
    for _ in range(samples):
        direct = ops.database_round_trip("direct", timeout)
        if not direct.ok:
            detail = f"the database itself fails (directly: {direct.failure}: {direct.detail}): look behind the link"
            return Observation("database_link", False, "behind", "", detail)
        direct_times.append(direct.connect_s + direct.query_s)
        service = ops.database_round_trip("service", timeout)
        if not service.ok:
            detail = f"through the link: {service.failure}: {service.detail}; directly: SELECT 1 answered"
            return Observation("database_link", False, service.failure, "", detail)
        service_times.append(service.connect_s + service.query_s)
        query_times.append(service.query_s)
        if service_times[-1] - direct_times[-1] > 3 * max_added:
            break  # far off already: another sample would only cost more of the same delay
    added = statistics.median(service_times) - statistics.median(direct_times)
    detail = f"the link adds {added * 1000:.0f} ms to connect and SELECT 1 (max {max_added * 1000:.0f} ms)"
    if added <= max_added:
        return Observation("database_link", True, None, "", detail)
    big = ops.database_round_trip("service", timeout + 1.0, payload_bytes)
    extra = big.query_s - statistics.median(query_times)
    throttled = not big.ok or extra > 0.5
    transfer = f"{payload_bytes // 1000} kB took {big.query_s * 1000:.0f} ms" if big.ok else f"{big.failure}"
    return Observation("database_link", False, "throttled" if throttled else "slow", "", f"{detail}; {transfer}")
