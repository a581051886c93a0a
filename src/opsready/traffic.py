"""Background traffic: a few bounded client threads playing users against the target while a drill runs.

Users do what the service profile's journeys say (weighted; :mod:`opsready.profile`), or GET a few given paths.

This is the lightweight generator drills use to prove "zero failed requests" and to see when user impact began and
ended; capacity tests use locust in a subprocess instead. Every loop is bounded in time and in request count.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opsready.profile import Journey, Request, builtin_profile, run_journey
from opsready.results import TrafficPoint
from opsready.timeline import Timeline

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class Sample:
    """One request as a user saw it (``at`` on the monotonic clock)."""

    at: float
    endpoint: str
    status: int | None
    latency: float
    error: str = ""

    @property
    def failed(self) -> bool:
        """No answer, or a server error."""
        return self.status is None or self.status >= 500


@dataclass(frozen=True)
class TrafficReport:
    """What the users saw over a period."""

    samples: tuple[Sample, ...]

    @property
    def total(self) -> int:
        """Requests sent."""
        return len(self.samples)

    @property
    def failed(self) -> int:
        """Requests that failed."""
        return sum(1 for s in self.samples if s.failed)

    def between(self, start: float, end: float) -> TrafficReport:
        """The samples sent in [start, end) on the monotonic clock."""
        return TrafficReport(tuple(s for s in self.samples if start <= s.at < end))

    def impact(self) -> tuple[float, float] | None:
        """When the first and the last failure happened (monotonic), or None when users saw none."""
        failures = [s.at for s in self.samples if s.failed]
        return (min(failures), max(failures)) if failures else None

    def series(self, t0: float, step: float = 1.0) -> tuple[TrafficPoint, ...]:
        """Requests, failures and p95 latency per ``step`` seconds, relative to ``t0`` (a timeline's start)."""
        buckets: dict[int, list[Sample]] = {}
        for sample in self.samples:
            buckets.setdefault(int((sample.at - t0) // step), []).append(sample)
        points = []
        for index in sorted(buckets):
            group = buckets[index]
            latencies = sorted(s.latency for s in group if not s.failed)
            p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] if latencies else None
            points.append(TrafficPoint(index * step, len(group), sum(1 for s in group if s.failed), p95))
        return tuple(points)

    def describe(self) -> str:
        """'1234 requests, 0 failed'."""
        examples = {f"{s.endpoint} -> {s.status or s.error}" for s in self.samples if s.failed}
        shown = f" (e.g. {', '.join(sorted(examples)[:3])})" if examples else ""
        return f"{self.total} requests, {self.failed} failed{shown}"


class Traffic:
    """Start with :meth:`start`, stop with :meth:`stop`; stops by itself at ``max_seconds`` or ``max_requests``."""

    def __init__(
        self,
        base_url: str,
        *,
        clients: int = 4,
        rate: float = 40.0,
        max_seconds: float = 300.0,
        max_requests: int = 50_000,
        timeline: Timeline | None = None,
        paths: tuple[str, ...] = (),
        journeys: tuple[Journey, ...] = (),
    ) -> None:
        self.base_url = base_url
        self.paths = paths  # GET these in turn instead of journeys (one request each: a plain page, a slow path)
        # the profile's journeys in proportion to their weights (profile.traffic(kind)); none: the built-in profile's
        journeys = journeys or (() if paths else builtin_profile().traffic("real"))
        self.plan = tuple(j for j in journeys for _ in range(max(1, j.weight)))
        self.clients = clients
        self.interval = clients / rate
        self.max_seconds = max_seconds
        self.max_requests = max_requests
        self.timeline = timeline
        self._samples: list[Sample] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sent = itertools.count()

    def start(self) -> Traffic:
        """Start the client threads."""
        deadline = time.monotonic() + self.max_seconds
        for n in range(self.clients):
            thread = threading.Thread(target=self._run, args=(n, deadline), name=f"traffic-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def _record(self, sample: Sample) -> None:
        with self._lock:
            self._samples.append(sample)

    def _seen(self, request: Request) -> None:
        self._record(Sample(request.at, request.endpoint, request.status, request.latency, request.error))

    def _request(
        self, client: httpx.Client, method: str, path: str, endpoint: str, **kw: object
    ) -> httpx.Response | None:
        import httpx

        start = time.monotonic()
        try:
            response = client.request(method, path, **kw)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            self._record(Sample(start, endpoint, None, time.monotonic() - start, type(exc).__name__))
            return None
        self._record(Sample(start, endpoint, response.status_code, time.monotonic() - start))
        return response

    def _run(self, n: int, deadline: float) -> None:
        # a new connection per request: a user never sees a pooled connection the server closed in between
        import httpx

        limits = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=self.base_url, timeout=5.0, limits=limits) as client:
            step = 0
            while not self._stop.is_set() and time.monotonic() < deadline and next(self._sent) < self.max_requests:
                started = time.monotonic()
                step += 1
                if self.paths:
                    path = self.paths[(n + step) % len(self.paths)]
                    self._request(client, "GET", path, path.partition("?")[0])
                else:
                    run_journey(client, self.plan[(n + step) % len(self.plan)], self._seen)
                self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def snapshot(self) -> TrafficReport:
        """What was seen so far (traffic keeps running)."""
        with self._lock:
            return TrafficReport(tuple(self._samples))

    def stop(self) -> TrafficReport:
        """Stop the clients and return everything they saw."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        return self.snapshot()

    def __enter__(self) -> Traffic:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
