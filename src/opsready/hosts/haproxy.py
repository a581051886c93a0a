"""A client for HAProxy's runtime API (its ``stats socket ... level admin``), from the machine running opsready.

The socket is a unix socket (``/run/haproxy/admin.sock``) or a TCP address (``tcp://10.0.0.2:9999``); one command
per connection, as HAProxy's non-interactive mode works. What a rolling deploy needs of it:

- ``set server <backend>/<server> state ready|drain|maint``: take a server out of rotation and put it back;
- ``show stat``: per server its current sessions (``scur``), health (``status``) and answers (``hrsp_5xx``,
  ``req_tot``), and the same for the backend as a whole: what the users of that backend saw.

Every failure is a :class:`~opsready.errors.BalancerError` naming the balancer and the command, never a traceback.
"""

from __future__ import annotations

import csv
import io
import socket
from dataclasses import dataclass
from typing import Literal

from opsready.errors import BalancerError

AdminState = Literal["ready", "drain", "maint"]
BACKEND_ROW = "BACKEND"  # show stat's name for the backend's own line


@dataclass(frozen=True)
class ServerStats:
    """One row of ``show stat``: a server (or the whole backend) and its counters since HAProxy started."""

    name: str
    sessions: int  # scur: connections open now (requests in flight, without keep-alive)
    status: str  # UP, DOWN, DRAIN, MAINT, "UP 1/2", no check ...
    requests: int  # req_tot (HTTP requests; a server row counts its sessions when HAProxy has no req_tot for it)
    errors_5xx: int  # hrsp_5xx: 5xx answers, HAProxy's own 502/503/504 included
    failed_connections: int  # econ: connections to the server that failed
    failed_responses: int  # eresp: answers the server broke off

    @property
    def user_errors(self) -> int:
        """What a user saw fail: 5xx answers (a broken connection becomes HAProxy's 502)."""
        return self.errors_5xx


@dataclass(frozen=True)
class BackendStats:
    """``show stat`` for one backend: each server's row and the backend's own."""

    backend: str
    servers: dict[str, ServerStats]
    total: ServerStats


def _int(row: dict[str, str], key: str) -> int:
    value = row.get(key) or "0"
    return int(value) if value.isdigit() else 0


class HaproxyRuntime:
    """HAProxy's runtime API at ``address``: ``unix:/path``, ``/path`` or ``tcp://host:port``."""

    def __init__(self, address: str, timeout: float = 3.0) -> None:
        self.address = address
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"HaproxyRuntime({self.address!r})"

    def _connect(self) -> socket.socket:
        if self.address.startswith("tcp://"):
            host, _, port = self.address[len("tcp://") :].rpartition(":")
            return socket.create_connection((host.strip("[]"), int(port)), timeout=self.timeout)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.address.removeprefix("unix:"))
        except BaseException:
            sock.close()
            raise
        return sock

    def command(self, line: str) -> str:
        """Send one command and return HAProxy's whole answer; a BalancerError when it cannot be reached."""
        try:
            with self._connect() as sock:
                sock.sendall(line.encode() + b"\n")
                chunks = []
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
            raise BalancerError(
                f"balancer haproxy at {self.address}: unreachable ({reason.lower()}) while sending '{line}'",
                hint="check rollout's balancer.admin_socket, and that HAProxy runs with "
                "'stats socket <address> level admin'",
            ) from None
        return b"".join(chunks).decode("utf-8", "replace")

    def set_state(self, backend: str, server: str, state: AdminState) -> None:
        """``set server <backend>/<server> state <state>``; any answer but an empty one is a BalancerError."""
        line = f"set server {backend}/{server} state {state}"
        answer = self.command(line).strip()
        if answer:
            raise BalancerError(f"balancer haproxy at {self.address}: '{line}' was refused: {answer}")

    def stats(self, backend: str) -> BackendStats:
        """``show stat`` for ``backend``; a BalancerError when HAProxy has no such backend."""
        text = self.command("show stat").lstrip("# ")
        servers: dict[str, ServerStats] = {}
        total: ServerStats | None = None
        for row in csv.DictReader(io.StringIO(text)):
            if row.get("pxname") != backend or row.get("svname") == "FRONTEND":
                continue
            stats = ServerStats(
                row["svname"],
                _int(row, "scur"),
                row.get("status") or "",
                _int(row, "req_tot") or _int(row, "stot"),
                _int(row, "hrsp_5xx"),
                _int(row, "econ"),
                _int(row, "eresp"),
            )
            if stats.name == BACKEND_ROW:
                total = stats
            else:
                servers[stats.name] = stats
        if total is None:
            raise BalancerError(f"balancer haproxy at {self.address}: no backend '{backend}' in 'show stat'")
        return BackendStats(backend, servers, total)
