"""The test fleet's service, one copy per release under ``/srv/app/releases/<version>/``: a tiny HTTP server.

It answers ``/healthz``, ``/readyz``, ``/version`` (the name of the release directory it was started from, through
the ``current`` link) and ``/`` (the host's name, which the balancer's tests count). Standard library only: it runs
under the host's own python3, started by the host's supervisord.
"""

from __future__ import annotations

import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

VERSION = Path(__file__).resolve().parent.name
# A release shipped with a file ``unready`` beside it never becomes ready: the flawed release deploys must undo.
READY = not Path(__file__).resolve().with_name("unready").exists()


class Handler(BaseHTTPRequestHandler):
    """Plain-text answers; nothing logged (supervisord would keep it)."""

    def do_GET(self) -> None:
        body = {
            "/healthz": "ok",
            "/readyz": "ready" if READY else None,
            "/version": VERSION,
            "/": socket.gethostname(),
        }.get(self.path.split("?")[0])
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
