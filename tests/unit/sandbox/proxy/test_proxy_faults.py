"""The proxy process in the traffic path: pass-through and each toxic, measured on real loopback sockets."""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from opsready.sandbox.proxy.control import (
    BandwidthToxic,
    DownToxic,
    LatencyToxic,
    ResetToxic,
    TimeoutToxic,
)

Proxy = Any  # conftest.ProxyProcess; conftest modules are not importable by name


def round_trip(sock: socket.socket, payload: bytes = b"ping") -> float:
    """Send ``payload`` through the echo server and return the seconds until all of it came back."""
    start = time.perf_counter()
    sock.sendall(payload)
    received = b""
    while len(received) < len(payload):
        chunk = sock.recv(65536)
        assert chunk, "connection closed during a round trip"
        received += chunk
    assert received == payload
    return time.perf_counter() - start


def fresh_round_trip(proxy: Proxy) -> float:
    """A round trip on a new connection (a loaded client may already see a reset in connect())."""
    with proxy.connect() as sock:
        return round_trip(sock)


def closed_by_peer(sock: socket.socket) -> bool:
    """Whether the other end has closed: end of stream, or a reset when it aborted with data unread."""
    try:
        return sock.recv(10) == b""
    except ConnectionResetError:
        return True


def test_pass_through_keeps_a_large_random_payload_intact_both_ways(proxy: Proxy) -> None:
    """8 MiB of random bytes go up and come back down unchanged; the counters see every byte."""
    payload = os.urandom(8 * 1024 * 1024)
    received = hashlib.sha256()
    count = 0
    with proxy.connect(timeout=10) as sock:
        sender = threading.Thread(target=sock.sendall, args=(payload,))
        sender.start()
        while count < len(payload):
            chunk = sock.recv(1 << 20)
            assert chunk
            received.update(chunk)
            count += len(chunk)
        sender.join()
    assert received.digest() == hashlib.sha256(payload).digest()
    status = proxy.apply()  # a reload also rewrites the counters at once
    assert status.bytes_up == status.bytes_down == len(payload)


def test_latency_adds_the_configured_delay_per_direction(proxy: Proxy) -> None:
    """Downstream, upstream and both: the round trip grows by the latency of each direction it crosses."""
    with proxy.connect() as existing:
        baseline = min(round_trip(existing) for _ in range(5))
        assert baseline < 0.05
        proxy.apply(LatencyToxic(150))
        assert 0.15 <= round_trip(existing) < 0.15 + 0.1  # applied to an existing connection
    with proxy.connect() as sock:
        assert 0.15 <= round_trip(sock) < 0.25
        proxy.apply(LatencyToxic(100, direction="both"))
        assert 0.2 <= round_trip(sock) < 0.3
        proxy.apply(LatencyToxic(100, jitter_ms=50, direction="upstream"))
        samples = [round_trip(sock) for _ in range(8)]
        assert min(samples) >= 0.05
        assert max(samples) < 0.15 + 0.05
        assert max(samples) - min(samples) > 0.005  # the jitter is there
        proxy.clear()
        assert round_trip(sock) < 0.05


def test_latency_does_not_accumulate_over_a_stream(proxy: Proxy) -> None:
    """2 MiB under 100 ms latency arrive in about 100 ms plus transfer time, not 100 ms per chunk."""
    proxy.apply(LatencyToxic(100))
    payload = os.urandom(2 * 1024 * 1024)
    with proxy.connect(timeout=5) as sock:
        sender = threading.Thread(target=sock.sendall, args=(payload,))
        start = time.perf_counter()
        sender.start()
        received = bytearray()
        while len(received) < len(payload):
            received += sock.recv(1 << 20)
        elapsed = time.perf_counter() - start
        sender.join()
    assert bytes(received) == payload
    assert 0.1 <= elapsed < 0.6


def test_bandwidth_limits_the_rate_in_its_direction(proxy: Proxy) -> None:
    """200 kB/s downstream: 150 kB take about 0.75 s (one pacing slice is sent at once)."""
    proxy.apply(BandwidthToxic(rate_kbps=200))
    with proxy.connect(timeout=5) as sock:
        elapsed = round_trip(sock, os.urandom(150_000))
    assert 0.6 <= elapsed < 1.1
    rate = 150_000 / elapsed
    assert 140_000 < rate < 250_000


def test_reset_resets_existing_and_new_connections(proxy: Proxy) -> None:
    """Clients see ConnectionResetError: the open connection at once, new ones on their first read."""
    existing = proxy.connect()
    round_trip(existing)
    proxy.apply(ResetToxic())
    with pytest.raises(ConnectionResetError):
        existing.recv(10)
    existing.close()
    for _ in range(3):
        with pytest.raises(ConnectionResetError):
            fresh_round_trip(proxy)
    proxy.clear()
    fresh_round_trip(proxy)


def test_timeout_blackholes_until_cleared_and_then_closes_those_connections(proxy: Proxy) -> None:
    """Under `timeout` reads time out (nothing forwarded, nothing closed); clearing it closes them."""
    existing = proxy.connect(timeout=0.3)
    round_trip(existing)
    proxy.apply(TimeoutToxic())
    fresh = proxy.connect(timeout=0.3)
    for sock in (existing, fresh):
        sock.sendall(b"anyone there?")
        with pytest.raises(TimeoutError):
            sock.recv(10)
    assert proxy.apply(TimeoutToxic()).connections == 2  # still open
    proxy.clear()
    for sock in (existing, fresh):
        sock.settimeout(2)
        assert sock.recv(10) == b""  # closed by the proxy
        sock.close()
    with proxy.connect() as sock:
        round_trip(sock)


def test_down_refuses_connections_and_clearing_it_listens_on_the_same_port(proxy: Proxy) -> None:
    """`down` closes the listener and open connections; after clear the same port serves again."""
    existing = proxy.connect()
    round_trip(existing)
    status = proxy.apply(DownToxic())
    assert status.listening is False
    assert existing.recv(10) == b""
    existing.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=1)
    assert proxy.clear().listening is True
    with proxy.connect() as sock:
        round_trip(sock)


def test_toxicity_half_with_a_seed_hits_about_half_of_the_connections(
    start_proxy: Callable[..., Proxy],
) -> None:
    """reset at toxicity 0.5: of 200 connections, roughly 100 are reset and the rest pass."""
    proxy = start_proxy(seed=1234)
    proxy.apply(ResetToxic(toxicity=0.5))
    resets = 0
    for _ in range(200):
        try:
            fresh_round_trip(proxy)
        except ConnectionResetError:
            resets += 1
    assert 70 <= resets <= 130


def test_a_malformed_state_file_keeps_the_old_toxics_and_reports_the_error(proxy: Proxy) -> None:
    """Broken JSON or an unknown toxic is reported in the status; the applied toxics stay in force."""
    import signal

    from opsready.sandbox.proxy.control import read_status, status_path

    applied = proxy.apply(LatencyToxic(120))
    for garbage, needle in [("{not json", "invalid JSON"), ('{"generation": 9, "toxics": [{"kind": "x"}]}', "'x'")]:
        proxy.state_file.write_text(garbage)
        os.kill(proxy.pid, signal.SIGHUP)
        deadline = time.monotonic() + 3
        status = read_status(status_path(proxy.state_file))
        while (status.error is None or needle not in status.error) and time.monotonic() < deadline:
            time.sleep(0.01)
            status = read_status(status_path(proxy.state_file))
        assert status.error is not None and needle in status.error
        assert (status.generation, status.toxics) == (applied.generation, applied.toxics)
        assert proxy.proc.poll() is None
    with proxy.connect() as sock:
        assert round_trip(sock) >= 0.12  # the old latency still applies
    repaired = proxy.clear()
    assert repaired.error is None
    assert repaired.generation > applied.generation


def test_state_present_at_start_is_applied_before_listening(start_proxy: Callable[..., Proxy]) -> None:
    """A proxy started with `down` in its state file does not listen until cleared."""
    from opsready.sandbox.proxy.control import ProxyState, write_state

    first = start_proxy()
    write_state(first.state_file.with_name("edge1.json"), ProxyState(generation=5, toxics=(DownToxic(),)))
    proxy = start_proxy()
    status = proxy.wait_ready()
    assert (status.generation, status.listening) == (5, False)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=1)
    assert proxy.clear().generation == 6
    with proxy.connect() as sock:
        round_trip(sock)


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_termination_closes_everything_within_a_second(start_proxy: Callable[..., Proxy], signame: str) -> None:
    """With open and blackholed connections, SIGTERM/SIGINT exit cleanly in under a second and close them."""
    import signal

    proxy = start_proxy()
    normal = proxy.connect()
    round_trip(normal)
    proxy.apply(TimeoutToxic(toxicity=1.0))
    blackholed = proxy.connect()
    blackholed.sendall(b"x")
    time.sleep(0.05)
    elapsed = proxy.stop(getattr(signal, signame))
    assert elapsed < 1.0
    assert proxy.proc.returncode == 0
    for sock in (normal, blackholed):
        assert closed_by_peer(sock)
        sock.close()


def test_a_taken_port_at_start_is_exit_code_2(start_proxy: Callable[..., Proxy]) -> None:
    """The proxy refuses to run without its port, saying which."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        proxy = start_proxy(port=holder.getsockname()[1], ready=False)
        assert proxy.proc.wait(timeout=5) == 2
        _, err = proxy.proc.communicate()
    assert "cannot listen on 127.0.0.1:" in err


class _LingeringServer:
    """Answers one line per connection, half-closes, then lingers for the client's FIN (like gunicorn's graceful
    close) and records how long each connection held it after answering."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.held: list[float] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        with self.listener:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                conn.recv(1024)
                conn.sendall(b"answer\n")
                conn.shutdown(socket.SHUT_WR)
                answered = time.perf_counter()
                with contextlib.suppress(OSError):
                    while conn.recv(1024):
                        pass
                self.held.append(time.perf_counter() - answered)


def test_a_server_that_closes_is_released_at_once_while_latency_still_delays_its_answer(
    start_proxy: Callable[..., Proxy],
) -> None:
    """The edge buffers like a load balancer: 1 s of latency towards users delays the answer by 1 s, but the server
    gets its FIN right away instead of being held until the slow client closes."""
    server = _LingeringServer()
    proxy = start_proxy(upstream=server.port)
    proxy.apply(LatencyToxic(1000))
    with proxy.connect(timeout=5) as sock:
        start = time.perf_counter()
        sock.sendall(b"request\n")
        received = b""
        while chunk := sock.recv(1024):
            received += chunk
        elapsed = time.perf_counter() - start
    server.thread.join(timeout=5)
    assert received == b"answer\n"  # all of the answer, then the end of the stream
    assert 1.0 <= elapsed < 1.5
    assert server.held and server.held[0] < 0.3, f"server held {server.held} s after answering"


def test_an_unshaped_link_stays_plain_tcp_the_client_close_ends_the_server_side(
    start_proxy: Callable[..., Proxy],
) -> None:
    """Without toxics the proxy passes the server's close on and waits for the client's own close, as TCP does."""
    server = _LingeringServer()
    proxy = start_proxy(upstream=server.port)
    with proxy.connect(timeout=5) as sock:
        sock.sendall(b"request\n")
        received = b""
        while chunk := sock.recv(1024):
            received += chunk
        time.sleep(0.4)  # the client takes its time to close
    server.thread.join(timeout=5)
    assert received == b"answer\n"
    # held until the client's own close (0.4 s), passed on by the proxy: not released early, and not left to the
    # server's 5 s read timeout either
    assert server.held and 0.35 <= server.held[0] < 1.5, f"server held {server.held} s"
