"""The ``balancer`` and ``rollout`` sections of a hosts target: how a rolling deploy reaches the load balancer, and
how it proceeds, checked at their lines before any host or balancer is contacted.

::

    balancer:
      url: https://orders.example.com/       # what users hit
      kind: haproxy                          # drained through HAProxy's runtime API
      admin_socket: /run/haproxy/admin.sock  # or tcp://10.0.0.2:9999 ('stats socket ... level admin')
      backend: orders
      servers: {app1: web1, app2: web2}      # app host -> its server in the backend (default: the host's name)
    rollout:
      batch: 1                               # hosts switched at once
      drain: true                            # false only for a control run: users will see errors
      drain_timeout: 30s                     # how long a drained server's requests may take to finish
      drain_last: false                      # true only for a control run: drain even the last server in rotation
      soak: 30s                              # watched after each batch is back in rotation
      check_every: 500ms
      max_error_rate: 1%                     # of the backend's requests (through the balancer), per batch
      min_requests: 20                       # fewer requests than this: the error rate does not judge
      unready_after: 2                       # direct instance checks failed in a row before rolling back
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from opsready.errors import Loc, ValidationError
from opsready.yamlsrc import MapReader

BalancerKind = Literal["haproxy"]
BALANCER_KINDS: tuple[BalancerKind, ...] = ("haproxy",)
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}")
_TCP = re.compile(r"tcp://(?:\[[0-9A-Fa-f:]+\]|[A-Za-z0-9.-]+):\d{1,5}")


@dataclass(frozen=True)
class HaproxyBalancer:
    """HAProxy's runtime API, the backend the app hosts serve in, and each app host's server name there."""

    admin_socket: str  # a unix socket path, or tcp://host:port
    backend: str
    servers: dict[str, str]  # app host -> server name
    locs: dict[str, Loc]  # app host -> where its server name was written (or the backend, for a default name)


@dataclass(frozen=True)
class Rollout:
    """How a rolling deploy proceeds through the balancer."""

    batch: int
    drain: bool
    drain_timeout: float
    soak: float
    check_every: float
    max_error_rate: float
    min_requests: int
    unready_after: int
    # drain a server even when no other is left in rotation (users then get the balancer's 503s): a control run only
    drain_last: bool = False


DEFAULT_ROLLOUT = Rollout(1, True, 30.0, 30.0, 0.5, 0.01, 20, 2)


def _name(r: MapReader, key: str, value: object) -> str:
    if not isinstance(value, str) or _NAME.fullmatch(value) is None:
        raise ValidationError(f"'{key}' must be an HAProxy name (letters, digits, '_.:-')", r.loc_of(key))
    return value


def parse_haproxy(b: MapReader, app_hosts: tuple[str, ...]) -> HaproxyBalancer | None:
    """The HAProxy part of ``balancer`` (None when it names no ``kind``); the keys ``url`` aside."""
    if not b.has("kind"):
        for key in ("admin_socket", "backend", "servers"):
            if b.has(key):
                raise ValidationError(f"'{key}' needs 'kind: haproxy' beside it", b.loc_of(key))
        return None
    b.choice("kind", BALANCER_KINDS)
    socket = str(b.string("admin_socket"))
    if not (socket.startswith("/") or socket.startswith("unix:/") or _TCP.fullmatch(socket)):
        raise ValidationError(
            "'admin_socket' must be a unix socket path (/run/haproxy/admin.sock) or tcp://host:port",
            b.loc_of("admin_socket"),
        )
    backend = _name(b, "backend", b.string("backend"))
    servers = {host: host for host in app_hosts}
    locs = {host: b.loc_of("backend") for host in app_hosts}
    m = b.optional_map("servers", "'balancer.servers'")
    if m is not None:
        for host in m.names():
            if host not in app_hosts:
                raise ValidationError(
                    f"'{host}' is not an app host of this target (app hosts: {', '.join(app_hosts)})", m.loc_of(host)
                )
            servers[host] = _name(m, host, m.raw(host))
            locs[host] = m.loc_of(host)
        if len(set(servers.values())) < len(servers):
            raise ValidationError("two app hosts are given the same server name", b.loc_of("servers"))
    return HaproxyBalancer(socket, backend, servers, locs)


def parse_rollout(r: MapReader | None, hosts: int) -> Rollout:
    """The ``rollout`` section (its defaults when absent)."""
    if r is None:
        return DEFAULT_ROLLOUT
    d = DEFAULT_ROLLOUT
    batch = int(r.integer("batch", d.batch, minimum=1))
    if batch >= hosts > 1:
        raise ValidationError(
            f"'batch' must be smaller than the {hosts} app hosts: a batch of all of them leaves none serving",
            r.loc_of("batch"),
        )
    rollout = Rollout(
        batch=batch,
        drain=bool(r.flag("drain", d.drain)),
        drain_timeout=float(r.duration("drain_timeout", d.drain_timeout)),
        soak=float(r.duration("soak", d.soak)),
        check_every=float(r.duration("check_every", d.check_every)),
        max_error_rate=float(r.percent("max_error_rate", d.max_error_rate)),
        min_requests=int(r.integer("min_requests", d.min_requests, minimum=1)),
        unready_after=int(r.integer("unready_after", d.unready_after, minimum=1)),
        drain_last=bool(r.flag("drain_last", d.drain_last)),
    )
    if rollout.check_every <= 0:
        raise ValidationError("'check_every' must be longer than 0", r.loc_of("check_every"))
    r.done()
    return rollout
