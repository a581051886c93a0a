"""The test fleet's service, one copy per release under ``/srv/app/releases/<version>/``: a tiny HTTP server.

It answers ``/healthz``, ``/readyz``, ``/version`` (the name of the release directory it was started from, through
the ``current`` link), ``/`` (the host's name, which the balancer's tests count) and ``/work?ms=N`` (the host's name
after N milliseconds, at most 5 s: a request that stays in flight, for the rolling deploy's drain). Standard library
only: it runs under the host's own python3, started by the host's supervisord. Like many services it does not finish
the requests in flight when it is stopped (SIGTERM ends it at once): only draining keeps them from failing.
"""

from __future__ import annotations

import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

VERSION = Path(__file__).resolve().parent.name
# A release shipped with a file ``unready`` beside it never becomes ready: the flawed release deploys must undo.
READY = not Path(__file__).resolve().with_name("unready").exists()
# A release shipped with ``degrade_after`` (seconds) answers its users 500 once it has run that long, while its own
# health and readiness stay fine: a leak only the users' traffic shows, as the rolling deploy's triggers must see.
_DEGRADE = Path(__file__).resolve().with_name("degrade_after")
DEGRADE_AFTER = float(_DEGRADE.read_text()) if _DEGRADE.exists() else None
STARTED = time.monotonic()


class Handler(BaseHTTPRequestHandler):
    """Plain-text answers; nothing logged (supervisord would keep it)."""

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        if path in ("/", "/work") and DEGRADE_AFTER is not None and time.monotonic() - STARTED > DEGRADE_AFTER:
            self.send_error(500)
            return
        if path == "/work":
            ms = int(query.partition("ms=")[2] or 0) if query.startswith("ms=") else 0
            time.sleep(min(ms, 5000) / 1000)
            path = "/"
        body = {
            "/healthz": "ok",
            "/readyz": "ready" if READY else None,
            "/version": VERSION,
            "/": socket.gethostname(),
        }.get(path)
        if body is None:
            self.send_error(503 if self.path == "/readyz" else 404)
            return
        data = (body + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return None


if __name__ == "__main__":
    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
