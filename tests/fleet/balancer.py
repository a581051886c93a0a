"""HAProxy in front of the fleet's app hosts, and a client for its runtime API (a unix socket, ``level admin``).

The runtime API is HAProxy 2.6's management interface: ``set server <backend>/<server> state ready|drain|maint``
changes a server's administrative state, ``show servers state <backend>`` reports it (format version 1: a header
line naming the fields, then one line per server).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

BACKEND = "app"
HTTP_PORT = 8080  # where each app host serves
METRICS_PORT = (
    8405  # where HAProxy's own Prometheus exporter answers /metrics (its per-backend and per-server counters)
)
AdminState = Literal["ready", "drain", "maint"]


def haproxy_config(socket_path: Path, bind: str, servers: dict[str, str]) -> str:
    """One frontend on ``bind``:80, round robin over ``servers`` (name -> address), health checked; HAProxy's built-in
    Prometheus exporter on ``bind``:8405 (the users' requests as the balancer counts them, for PromQL triggers)."""
    lines = [
        "global",
        f"    stats socket {socket_path} mode 600 level admin",
        "    stats timeout 10s",
        "defaults",
        "    mode http",
        "    timeout connect 2s",
        "    timeout client 30s",
        "    timeout server 30s",
        "frontend web",
        f"    bind {bind}:80",
        f"    default_backend {BACKEND}",
        "frontend metrics",
        f"    bind {bind}:{METRICS_PORT}",
        "    http-request use-service prometheus-exporter if { path /metrics }",
        f"backend {BACKEND}",
        "    balance roundrobin",
        "    option httpchk GET /",
    ]
    lines += [f"    server {name} {addr}:{HTTP_PORT} check inter 300ms fall 2 rise 1" for name, addr in servers.items()]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ServerState:
    """One line of ``show servers state``: the server, its operational and administrative state."""

    name: str
    address: str
    operational: int  # 0 stopped, 1 starting, 2 running, 3 soft stop
    admin: int  # bit flags: 0x01 forced maint, 0x08 forced drain, ...

    @property
    def state(self) -> AdminState:
        """ready, drain or maint, as the runtime API names what ``set server ... state`` set."""
        if self.admin & 0x01 or self.admin & 0x02 or self.admin & 0x04 or self.admin & 0x20:
            return "maint"
        if self.admin & 0x08 or self.admin & 0x10:
            return "drain"
        return "ready"

    @property
    def up(self) -> bool:
        """True when health checks have it running."""
        return self.operational == 2


class RuntimeApi:
    """HAProxy's runtime API over its unix socket; one command per connection, as the non-interactive mode works."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def command(self, line: str, timeout: float = 5.0) -> str:
        """Send one command and return HAProxy's whole answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(self.path))
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def set_state(self, server: str, state: AdminState) -> None:
        """``set server app/<server> state <state>``; an answer other than empty is an error."""
        answer = self.command(f"set server {BACKEND}/{server} state {state}").strip()
        if answer:
            raise RuntimeError(f"haproxy refused 'set server {BACKEND}/{server} state {state}': {answer}")

    def servers(self) -> dict[str, ServerState]:
        """``show servers state app``, parsed by the field names of its header line."""
        lines = [line for line in self.command(f"show servers state {BACKEND}").splitlines() if line.strip()]
        header = next(line for line in lines if line.startswith("#")).lstrip("# ").split()
        out = {}
        for line in lines:
            if line.startswith("#") or line.strip() == "1":
                continue
            row = dict(zip(header, line.split(), strict=False))
            out[row["srv_name"]] = ServerState(
                row["srv_name"], row["srv_addr"], int(row["srv_op_state"]), int(row["srv_admin_state"])
            )
        return out
