"""The free-port check on the sandbox's fixed ports tells a listener from connections in TIME_WAIT.

``sandbox up`` right after ``down`` (or after a drill that served traffic) finds the fixed ports full of TIME_WAIT
connections for a minute; they must not read as "in use by another process". The check runs in a private network
namespace this test creates, so it uses the real fixed ports without ever meeting a sandbox someone has up.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import opsready

SRC = str(Path(opsready.__file__).resolve().parents[1])

CHILD = textwrap.dedent(
    """
    import json, socket
    import psutil
    from opsready.errors import EnvironmentProblem
    from opsready.sandbox.layout import Ports, check_ports_free, port_taken
    from opsready.sandbox.tls import FIXED_PORT

    ports = [port for _, port in Ports().items()] + [FIXED_PORT]

    def time_wait_on(port):
        # the server side closes first, so the connection on the fixed port is left in TIME_WAIT
        with socket.socket() as server:
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind(("127.0.0.1", port))
            server.listen()
            client = socket.create_connection(("127.0.0.1", port))
            conn, _ = server.accept()
            conn.close()
            client.recv(1)
            client.close()

    def in_time_wait():
        return sorted({c.laddr.port for c in psutil.net_connections("tcp") if c.status == psutil.CONN_TIME_WAIT})

    def refused():
        try:
            check_ports_free(Ports())
        except EnvironmentProblem as exc:
            return exc.message
        return ""

    for port in ports:
        time_wait_on(port)
    result = {"time_wait": in_time_wait(), "after_time_wait": [port_taken(p) for p in ports], "refused": refused()}
    listeners = []
    for port in ports:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen()
        listeners.append(sock)
    result.update(ports=ports, with_listener=[port_taken(p) for p in ports], refused_listener=refused())
    print(json.dumps(result))
    """
)


def _netns_usable() -> str:
    if os.geteuid() != 0:
        return "needs root to create a network namespace"
    if shutil.which("ip") is None:
        return "needs the ip command (iproute2) for a private network namespace"
    probe = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return f"ip netns is unavailable here: {probe.stderr.strip()}"
    return ""


@pytest.fixture
def netns() -> Iterator[str]:
    """A private network namespace with loopback up, deleted afterwards whatever happens."""
    reason = _netns_usable()
    if reason:
        pytest.skip(reason)
    name = f"opsready-test-{secrets.token_hex(4)}"
    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True, capture_output=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False, capture_output=True)
    listed = subprocess.run(["ip", "netns", "list"], check=False, capture_output=True, text=True).stdout
    assert name not in listed, f"network namespace {name} was left behind"


def test_time_wait_on_the_fixed_ports_is_free_and_a_listener_is_taken(netns: str) -> None:
    """TIME_WAIT on every fixed port (edge, api, postgres, db proxy, metrics, monitoring, TLS edge): free, and up is
    not refused; a real listener on each: taken, and up is refused naming the port."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")]))}
    run = subprocess.run(
        ["ip", "netns", "exec", netns, sys.executable, "-c", CHILD],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    # the programs' and the monitoring's ports, then the TLS edge's
    fixed = [18080, 18081, 15432, 15433, 18091, 18092, 18093, 19187, 19115, 19090, 19093, 19094, 18443]
    assert result["ports"] == fixed
    assert set(result["ports"]) <= set(result["time_wait"]), "the test did not leave TIME_WAIT on every fixed port"
    assert result["after_time_wait"] == [False] * len(fixed)
    assert result["refused"] == ""
    assert result["with_listener"] == [True] * len(fixed)
    assert "port 18080 (edge)" in result["refused_listener"]
