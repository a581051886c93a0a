"""Where a user's wait comes from: the network in front of the service, the application, the network to the
database, and the database itself.

The same work is timed along different paths, and the differences are the parts:

- users' network = ``GET`` of the profile's ``page`` through the public URL - the same request directly at the
  service (it does not touch the database, so nothing else differs);
- database = one query on a fresh direct connection to the database (a result of :data:`PAYLOAD` bytes, so a
  throttled link shows as well as a delayed one);
- database network = the same query through the service's own path to the database - directly;
- application = ``GET`` of the profile's ``database_page`` directly at the service - one round trip through the
  service's path to the database: what the service itself adds (an upper bound when a page makes several round
  trips).

A request is timed a few times and the fastest counts: waiting for a busy worker (other users' requests, a slow
release) only ever adds time, and the same request on two paths must not differ by whose turn came sooner. A query
is the median of a few. Which part is to blame is decided from the parts measured along two paths, which are exact,
before the application's remainder: the users' network when it is at least half of the wait (a request pays it
once, and never inside the application's remainder; with a slow release, queueing behind busy workers can still
make it look like a quarter), then the database network and then the database when either is at least a quarter
(an order page pays a slow database link once per round trip, two or three times, inside the application's
remainder). Everything is read-only: GETs and ``SELECT``.
"""

from __future__ import annotations

from dataclasses import dataclass

from opsready.errors import ProbeError
from opsready.observation import Observation
from opsready.probes.paths import timed_get, timed_gets
from opsready.profile import profile_of
from opsready.targets.diagnostics import diagnostics_of
from opsready.targets.protocol import Target

PARTS = ("users-network", "application", "database-network", "database")
PAYLOAD = 500  # bytes: about one page of orders, so a bandwidth limit costs as much as a delay of the same size


@dataclass(frozen=True)
class Breakdown:
    """The parts of a user's wait for an order page, in seconds (from ``samples`` measurements each)."""

    users_network: float
    application: float
    database_network: float
    database: float
    samples: int

    @property
    def total(self) -> float:
        """The whole wait: every part added up."""
        return self.users_network + self.application + self.database_network + self.database

    def parts(self) -> tuple[tuple[str, float], ...]:
        """(part, seconds) in :data:`PARTS` order."""
        return tuple(
            zip(PARTS, (self.users_network, self.application, self.database_network, self.database), strict=True)
        )

    @property
    def dominant(self) -> str:
        """The part to blame: the users' network when it is half of the wait, else the first database part that is
        a quarter of it, else the application (see the module docstring for why)."""
        total = self.total or 1e-9
        if self.users_network >= total / 2:
            return "users-network"
        for name, part in (("database-network", self.database_network), ("database", self.database)):
            if part >= total / 4:
                return name
        return "application"

    def describe(self) -> str:
        """'total 312 ms: users-network 301 ms, application 6 ms, database-network 1 ms, database 4 ms'."""
        parts = ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in self.parts())
        return f"total {self.total * 1000:.0f} ms: {parts}"


def _fastest_get(base_url: str, path: str, samples: int, timeout: float, *, at_once: bool = False) -> float:
    """The fastest of ``samples`` GETs, one after the other or all at once; a failed one is a :class:`ProbeError`."""
    if at_once:  # the fastest still shows the path's own cost when some of them wait for a busy worker
        answers = timed_gets(base_url, (path,) * samples, timeout)
    else:
        answers = []
        while len(answers) < samples and (not answers or answers[-1][1] == 200):
            answers.append(timed_get(base_url, path, timeout))
    for seconds, status, failure in answers:
        if status != 200:
            raise ProbeError(f"GET {path} at {base_url}: {failure or f'HTTP {status}'} after {seconds * 1000:.0f} ms")
    return min(seconds for seconds, _, _ in answers)


def _median_query(target: Target, path: str, samples: int, timeout: float) -> float:
    trip = diagnostics_of(target).database_round_trip(path, timeout, PAYLOAD, queries=samples)
    if not trip.ok:
        raise ProbeError(f"database by the {path} path: {trip.failure}: {trip.detail}")
    return trip.query_s


def measure_breakdown(target: Target, samples: int = 3, timeout: float = 2.0) -> Breakdown:
    """Time every path ``samples`` times; a path that fails is a :class:`ProbeError` naming it."""
    endpoints = profile_of(target).endpoints
    if not endpoints.database_page:
        raise ProbeError(
            f"the latency breakdown needs a page that reads the database: add 'endpoints.database_page' to "
            f"{profile_of(target).where()}"
        )
    direct = diagnostics_of(target).direct_url()
    public_page = _fastest_get(target.base_url, endpoints.page, samples, timeout, at_once=True)  # slow link: one delay
    direct_page = _fastest_get(direct, endpoints.page, samples, timeout)
    direct_orders = _fastest_get(direct, endpoints.database_page, samples, timeout)
    db_direct = _median_query(target, "direct", samples, timeout)
    db_service = _median_query(target, "service", samples, timeout)
    return Breakdown(
        users_network=max(0.0, public_page - direct_page),
        application=max(0.0, direct_orders - db_service),
        database_network=max(0.0, db_service - db_direct),
        database=db_direct,
        samples=samples,
    )


def latency_breakdown(target: Target, max_s: float = 0.3, samples: int = 3, timeout: float = 2.0) -> Observation:
    """A user's wait for an order page is at most ``max_s``; otherwise the answer is the part that dominates it."""
    try:
        breakdown = measure_breakdown(target, samples, timeout)
    except ProbeError as exc:
        return Observation("latency_breakdown", False, "error", "", exc.message)
    detail = f"{breakdown.describe()} (max {max_s * 1000:.0f} ms)"
    if breakdown.total <= max_s:
        return Observation("latency_breakdown", True, breakdown.total * 1000, " ms", detail)
    return Observation("latency_breakdown", False, breakdown.dominant, "", detail)
