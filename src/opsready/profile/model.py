"""What a service profile says, as frozen dataclasses: journeys, the smoke test, "data intact", endpoints, metrics.

A profile is the user's description of their service as its users see it (docs/profile.md). Everything here is
built once by :mod:`opsready.profile.load` from YAML, validated with the line of every value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from opsready.errors import Loc

Method = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
METHODS: tuple[Method, ...] = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
COUNTER = "n"  # {n}: a number unique to each run of a journey (within one process)
_JSON_TOKEN = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]")

JsonValue = object  # what json.loads returns: dict, list, str, int, float, bool or None


@dataclass(frozen=True)
class JsonPath:
    """A path into a JSON answer: ``id``, ``items[0].id``, ``$.stats.total`` (``$`` is the whole answer)."""

    text: str
    parts: tuple[str | int, ...]

    @classmethod
    def parse(cls, text: str) -> JsonPath:
        """Parse ``text``; a :class:`ValueError` says what is wrong with it."""
        rest = text.strip()
        rest = rest[1:] if rest.startswith("$") else rest
        parts: list[str | int] = []
        pos = 0
        while pos < len(rest):
            match = _JSON_TOKEN.match(rest, pos)
            dotted = match is not None and rest[pos] == "."
            if match is None or (
                match.group(1) is not None and dotted == (pos == 0 and not text.strip().startswith("$"))
            ):
                raise ValueError(f"bad JSON path '{text}' at '{rest[pos:]}' (write it like 'items[0].id')")
            parts.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
            pos = match.end()
        if not parts and not text.strip().startswith("$"):
            raise ValueError("an empty JSON path (write '$' for the whole answer)")
        return cls(text, tuple(parts))

    def find(self, document: JsonValue) -> tuple[bool, JsonValue]:
        """(found, value) of this path in a parsed JSON document."""
        value = document
        for part in self.parts:
            if isinstance(part, int) and isinstance(value, list) and -len(value) <= part < len(value):
                value = value[part]
                continue
            if not (isinstance(part, str) and isinstance(value, dict) and part in value):
                return False, None
            value = value[part]
        return True, value


@dataclass(frozen=True)
class Expect:
    """What a step's answer must be: its status, JSON paths present (or equal to a value), a substring."""

    statuses: tuple[int, ...] = ()  # empty: any 2xx
    present: tuple[JsonPath, ...] = ()
    equals: tuple[tuple[JsonPath, JsonValue], ...] = ()
    contains: str = ""

    def status_ok(self, status: int) -> bool:
        """Whether ``status`` is one the step expects."""
        return status in self.statuses if self.statuses else 200 <= status < 300

    def describe_status(self) -> str:
        """'201' or '200 or 204' or '2xx'."""
        return " or ".join(str(s) for s in self.statuses) if self.statuses else "2xx"


@dataclass(frozen=True)
class Step:
    """One HTTP request of a journey, with the values it captures for the steps after it."""

    method: Method
    path: str  # may hold placeholders: /orders/{order_id}
    loc: Loc
    body: JsonValue = None  # JSON body (placeholders inside strings), None: no body
    expect: Expect = field(default_factory=Expect)
    capture: tuple[tuple[str, JsonPath], ...] = ()
    name: str = ""  # how traffic reports the endpoint; default: the path with {x} shown as <x>, no query

    @property
    def endpoint(self) -> str:
        """The endpoint as samples and statistics name it: '/orders/<order_id>'."""
        return self.name or PLACEHOLDER.sub(r"<\1>", self.path.partition("?")[0])

    @property
    def writes(self) -> bool:
        """Whether the method changes something (by HTTP's definition)."""
        return self.method not in READ_METHODS

    def describe(self) -> str:
        """'POST /orders'."""
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Journey:
    """What one kind of user does, in order; ``cleanup`` undoes what it wrote (run even after a failure)."""

    name: str
    steps: tuple[Step, ...]
    loc: Loc
    weight: int = 1  # share of background traffic; 0: never in traffic
    writes: bool = False
    cleanup: tuple[Step, ...] = ()
    on_real_targets: bool = False  # a writing journey without cleanup runs on a real target only when this says so

    def allowed_on(self, kind: str) -> bool:
        """Whether the journey may run on a target of this kind ('disposable' or 'real')."""
        return kind == "disposable" or not self.writes or bool(self.cleanup) or self.on_real_targets


@dataclass(frozen=True)
class Smoke:
    """The smoke test: these journeys, each ``runs`` times."""

    journeys: tuple[str, ...]
    runs: int = 1
    timeout: float = 3.0


@dataclass(frozen=True)
class SqlCheck:
    """A query answering (count, checksum[, watermark]); the database URL comes from the environment."""

    query: str
    url_env: str
    loc: Loc


@dataclass(frozen=True)
class DataCheck:
    """What "data intact" means: a count and a checksum, from an endpoint (JSON paths) or an SQL query.

    A ``watermark`` (the newest record's key, e.g. its id) makes the check exact while users keep writing: the second
    count covers only what existed at the first one (sent back as the query parameter ``watermark_param``, or bound as
    ``:watermark`` in the SQL query)."""

    loc: Loc
    endpoint: str = ""
    count: JsonPath | None = None
    checksum: JsonPath | None = None
    watermark: JsonPath | None = None
    watermark_param: str = ""
    sql: SqlCheck | None = None


@dataclass(frozen=True)
class Backlog:
    """Work the service owes its users (a queue): how many wait and how old the oldest is, from an endpoint."""

    endpoint: str
    pending: JsonPath
    oldest_age: JsonPath


@dataclass(frozen=True)
class Endpoints:
    """The service's operational endpoints and the pages probes time."""

    health: str = "/healthz"
    readiness: str = "/readyz"
    version: str = "/version"
    version_field: JsonPath = field(default_factory=lambda: JsonPath("version", ("version",)))
    page: str = "/"  # a cheap page users read, GET: availability, the users' link and the latency breakdown
    database_page: str = ""  # a page that makes one round trip to the database: the latency breakdown's application


@dataclass(frozen=True)
class Metrics:
    """Names and labels of the service's Prometheus metrics, when it exports them."""

    requests: str = ""  # a counter of requests
    duration: str = ""  # a histogram of request durations (seconds)
    endpoint_label: str = "endpoint"
    status_label: str = "status"


@dataclass(frozen=True)
class Profile:
    """One service as its users see it."""

    path: Path | None
    service: str
    journeys: tuple[Journey, ...]
    smoke: Smoke
    endpoints: Endpoints = field(default_factory=Endpoints)
    data: DataCheck | None = None
    backlog: Backlog | None = None
    metrics: Metrics | None = None

    def journey(self, name: str) -> Journey:
        """The named journey (a :class:`KeyError` when there is none: names are validated at load)."""
        for journey in self.journeys:
            if journey.name == name:
                return journey
        raise KeyError(name)

    def traffic(self, kind: str) -> tuple[Journey, ...]:
        """The journeys background traffic plays on a target of this kind (weight > 0 and allowed there)."""
        return tuple(j for j in self.journeys if j.weight > 0 and j.allowed_on(kind))

    def writing(self, kind: str) -> tuple[Journey, ...]:
        """The writing journeys of traffic on a target of this kind (work for the service, e.g. chaos actions)."""
        return tuple(j for j in self.traffic(kind) if j.writes)

    def where(self) -> str:
        """'profiles/orders.yaml' or 'the built-in profile'."""
        return str(self.path) if self.path is not None else "the built-in profile"


def builtin_profile() -> Profile:
    """What opsready assumes of a service without a profile: health endpoints, and a smoke test that asks readiness."""
    readiness = Step("GET", "/readyz", Loc("built-in profile"))
    journey = Journey("ready", (readiness,), Loc("built-in profile"))
    return Profile(None, "service", (journey,), Smoke(("ready",)))
