"""Fixtures for the fault proxy tests: an echo upstream on loopback and real proxy subprocesses."""

from __future__ import annotations

import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from opsready.sandbox.proxy.control import ProxyStatus, Toxic, apply, clear, read_status, status_path

HOST = "127.0.0.1"


class _EchoHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sock: socket.socket = self.request
        try:
            while data := sock.recv(65536):
                sock.sendall(data)
        except OSError:
            pass


class _EchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def echo_port() -> Iterator[int]:
    """A threaded TCP echo server on loopback; yields its port."""
    server = _EchoServer((HOST, 0), _EchoHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


class ProxyProcess:
    """A proxy subprocess started the way the sandbox manager starts it."""

    def __init__(
        self, state_file: Path, upstream: int, seed: int | None = None, port: int | None = None, metrics_port: int = 0
    ) -> None:
        self.state_file = state_file
        self.port = port or free_port()
        self.metrics_port = metrics_port
        command = [sys.executable, "-m", "opsready.sandbox.proxy", "--name", "edge"]
        command += ["--listen", f"{HOST}:{self.port}", "--upstream", f"{HOST}:{upstream}"]
        command += ["--state-file", str(state_file)]
        if seed is not None:
            command += ["--seed", str(seed)]
        if metrics_port:
            command += ["--metrics-port", str(metrics_port)]
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.pid = self.proc.pid

    def wait_ready(self, timeout: float = 5.0) -> ProxyStatus:
        """Wait until this process has written its first status."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.proc.communicate()
            try:
                status = read_status(status_path(self.state_file))
            except Exception:
                status = None
            if status is not None and status.pid == self.pid:
                return status
            time.sleep(0.01)
        raise AssertionError("proxy did not report ready")

    def apply(self, *toxics: Toxic) -> ProxyStatus:
        """Apply toxics and wait for the proxy to confirm them."""
        return apply(self.state_file, self.pid, toxics)

    def clear(self) -> ProxyStatus:
        """Remove all toxics and wait for the proxy to confirm."""
        return clear(self.state_file, self.pid)

    def connect(self, timeout: float = 2.0) -> socket.socket:
        """A client connection through the proxy."""
        return socket.create_connection((HOST, self.port), timeout=timeout)

    def stop(self, sig: int = signal.SIGTERM) -> float:
        """Signal the proxy, wait for it, and return how long it took to exit."""
        start = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.proc.wait(timeout=5)
        elapsed = time.monotonic() - start
        self.proc.communicate()
        assert not Path(f"/proc/{self.pid}").exists(), "proxy process left behind"
        return elapsed


@pytest.fixture
def start_proxy(tmp_path: Path, echo_port: int) -> Iterator[Callable[..., ProxyProcess]]:
    """Start proxies in front of the echo server or ``upstream`` (``start_proxy(seed=...)``); all are stopped and
    checked at the end."""
    started: list[ProxyProcess] = []

    def start(
        seed: int | None = None,
        port: int | None = None,
        ready: bool = True,
        upstream: int | None = None,
        metrics_port: int = 0,
    ) -> ProxyProcess:
        state_file = tmp_path / "proxies" / f"edge{len(started)}.json"
        proxy = ProxyProcess(state_file, upstream or echo_port, seed, port, metrics_port)
        started.append(proxy)
        if ready:
            proxy.wait_ready()
        return proxy

    yield start
    for proxy in started:
        if proxy.proc.poll() is None:
            proxy.proc.terminate()
        try:
            proxy.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proxy.proc.kill()
            proxy.proc.wait()
            pytest.fail(f"proxy pid {proxy.pid} ignored SIGTERM")
        proxy.proc.communicate()
        with pytest.raises(ProcessLookupError):
            os.kill(proxy.pid, 0)


@pytest.fixture
def proxy(start_proxy: Callable[..., ProxyProcess]) -> ProxyProcess:
    """One running proxy in front of the echo server, with no toxics."""
    return start_proxy()
