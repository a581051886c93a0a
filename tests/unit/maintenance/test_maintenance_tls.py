"""The TLS edge as a real process: it serves the generated certificate, reloads it on SIGHUP without dropping an
open connection, and the expiry check reads what a handshake presents."""

from __future__ import annotations

import datetime as dt
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from opsready.processes import free_port
from opsready.sandbox.tls import fetch_certificate, issue_certificate


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(4096):
            self.request.sendall(data.upper())


@dataclass(frozen=True)
class Edge:
    """A running TLS edge in front of an upper-casing echo server."""

    port: int
    cert: Path
    key: Path
    proc: subprocess.Popen[bytes]


@pytest.fixture
def edge(tmp_path: Path) -> Iterator[Edge]:
    """Certificate valid for 10 days, echo upstream in a thread, TLS edge as a subprocess (stopped by pid)."""
    cert, key = tmp_path / "edge.crt", tmp_path / "edge.key"
    issue_certificate(cert, key, 10)
    upstream = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    upstream.daemon_threads = True
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = free_port()
    argv = [sys.executable, "-m", "opsready.sandbox.tlsedge", "--listen", f"127.0.0.1:{port}"]
    argv += ["--upstream", f"127.0.0.1:{upstream.server_address[1]}", "--cert", str(cert), "--key", str(key)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                fetch_certificate("127.0.0.1", port, None)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield Edge(port, cert, key, proc)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        upstream.shutdown()
        upstream.server_close()


def test_the_served_certificate_is_read_from_a_handshake(edge: Edge) -> None:
    """Subject, serial, validity and verification against the issued certificate for 'localhost'."""
    cert = fetch_certificate("127.0.0.1", edge.port, edge.cert)
    assert cert.verified and cert.subject == "CN=opsready sandbox edge"
    assert 9.99 < cert.days_left <= 10.001
    assert cert.endpoint == f"https://localhost:{edge.port}"


def test_a_foreign_or_expired_certificate_does_not_verify(edge: Edge, tmp_path: Path) -> None:
    """Verification is real: another CA fails it, and so does an expired certificate."""
    other = tmp_path / "other.crt"
    issue_certificate(other, tmp_path / "other.key", 10)
    assert not fetch_certificate("127.0.0.1", edge.port, other).verified
    issue_certificate(edge.cert, edge.key, 1, now=dt.datetime.now(tz=dt.UTC) - dt.timedelta(days=3))
    edge.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    cert = fetch_certificate("127.0.0.1", edge.port, edge.cert)
    while cert.days_left > 0 and time.monotonic() < deadline:
        time.sleep(0.05)
        cert = fetch_certificate("127.0.0.1", edge.port, edge.cert)
    assert cert.days_left < 0 and not cert.verified


def test_sighup_serves_the_renewed_certificate_and_keeps_open_connections(edge: Edge) -> None:
    """A connection opened before the reload keeps working; new handshakes present the new serial."""
    context = ssl.create_default_context(cafile=str(edge.cert))
    before = fetch_certificate("127.0.0.1", edge.port, edge.cert)
    with (
        socket.create_connection(("127.0.0.1", edge.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(b"before")
        assert tls.recv(16) == b"BEFORE"
        serial = issue_certificate(edge.cert, edge.key, 90)
        edge.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while fetch_certificate("127.0.0.1", edge.port, None).serial != serial:
            assert time.monotonic() < deadline, "the renewed certificate was never served"
            time.sleep(0.05)
        tls.sendall(b"after")
        assert tls.recv(16) == b"AFTER"
    after = fetch_certificate("127.0.0.1", edge.port, edge.cert)
    assert after.serial == serial != before.serial
    assert after.verified and 89.99 < after.days_left <= 90.001
