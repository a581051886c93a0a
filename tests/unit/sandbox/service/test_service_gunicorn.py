"""The real runtime contract: gunicorn serving from a ``current`` link, switched by a link swap and SIGHUP."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from opsready.sandbox.service.migrate import migrate
from opsready.sandbox.service.releases import RELEASES_DIR


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Api:
    """A gunicorn master we started, and how to reach it."""

    proc: subprocess.Popen[bytes]
    state: Path
    base: str
    log: Path
    db_url: str

    def switch(self, version: str) -> None:
        """What a deploy does: install the release, swap the link atomically, SIGHUP the master."""
        dest = self.state / "releases" / version
        if not dest.exists():
            shutil.copytree(RELEASES_DIR / version, dest, ignore=shutil.ignore_patterns("__pycache__"))
        tmp = self.state / ".current.tmp"
        tmp.symlink_to(os.path.join("releases", version))
        os.replace(tmp, self.state / "current")
        os.kill(self.proc.pid, signal.SIGHUP)


def _start(state: Path, db_url: str, version: str) -> Api:
    (state / "releases").mkdir(parents=True)
    (state / "metrics").mkdir()
    shutil.copytree(RELEASES_DIR / version, state / "releases" / version, ignore=shutil.ignore_patterns("__pycache__"))
    (state / "current").symlink_to(os.path.join("releases", version))
    migrate(db_url, state / "current")
    port = _free_port()
    env = {
        **os.environ,
        "OPSREADY_DB_URL": db_url,
        "PROMETHEUS_MULTIPROC_DIR": str(state / "metrics"),
        "OPSREADY_STATE_DIR": str(state),
    }
    command = [
        *(sys.executable, "-m", "gunicorn", "--chdir", str(state / "current")),
        *("--bind", f"127.0.0.1:{port}", "--workers", "2"),
        *("--config", "python:opsready.sandbox.service.gunicorn_conf", "wsgi:app"),
    ]
    log = state / "gunicorn.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, cwd=state, stdout=out, stderr=subprocess.STDOUT)
    return Api(proc, state, f"http://127.0.0.1:{port}", log, db_url)


@pytest.fixture
def api(tmp_path: Path, db_url: str) -> Iterator[Api]:
    """gunicorn on release 1.1.0, started exactly as the sandbox starts it; stopped by pid afterwards."""
    server = _start(tmp_path / "state", db_url, "1.1.0")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{server.base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.proc.poll() is None, server.log.read_text()
            assert time.monotonic() < deadline, server.log.read_text()
            time.sleep(0.05)
        yield server
    finally:
        os.kill(server.proc.pid, signal.SIGTERM)
        try:
            server.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.kill(server.proc.pid, signal.SIGKILL)
            server.proc.wait(5)


@dataclass
class Poller:
    """A client asking /version in a loop throughout a deploy."""

    base: str
    answers: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        """Poll until stopped; every non-200 or transport error is a failure."""
        with httpx.Client(timeout=5) as client:
            while not self.stop.is_set():
                try:
                    response = client.get(f"{self.base}/version")
                except httpx.HTTPError as exc:
                    self.failures.append(repr(exc))
                    continue
                if response.status_code != 200:
                    self.failures.append(f"HTTP {response.status_code}")
                else:
                    self.answers.append(response.json()["version"])


def _release_info(base: str) -> set[str]:
    text = httpx.get(f"{base}/metrics", timeout=5).text
    return {
        s.labels["version"]
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "opsready_release_info" and s.value == 1
    }


def test_link_switch_and_sighup_serve_the_new_release_without_failures(api: Api) -> None:
    """Deploy 1.2.0 under load: no failed request, new workers serve 1.2.0, orders and metrics carry over."""
    client = httpx.Client(base_url=api.base, timeout=5)
    created = client.post("/orders", json={"item": "tea", "quantity": 2})
    assert created.status_code == 201
    assert created.headers["X-Opsready-Release"] == "1.1.0"
    checksum = client.get("/orders/stats").json()["checksum"]
    poller = Poller(api.base)
    thread = threading.Thread(target=poller.run)
    thread.start()
    try:
        time.sleep(0.3)
        migrate(api.db_url, RELEASES_DIR / "1.2.0")
        api.switch("1.2.0")
        deadline = time.monotonic() + 30
        while poller.answers[-5:] != ["1.2.0"] * 5:
            assert time.monotonic() < deadline, api.log.read_text()
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        poller.stop.set()
        thread.join(10)
    assert poller.failures == []
    assert set(poller.answers) == {"1.1.0", "1.2.0"}
    first_new = poller.answers.index("1.2.0")
    assert set(poller.answers[first_new:]) == {"1.2.0"}  # once switched, never back
    assert client.get("/orders/stats").json()["checksum"] == checksum
    express = client.post("/orders", json={"item": "kettle", "quantity": 1, "priority": "express"})
    assert (express.status_code, express.json()["priority"]) == (201, "express")
    assert express.headers["X-Opsready-Release"] == "1.2.0"
    # old workers were marked dead by child_exit: only the new release is live in the aggregated metrics
    deadline = time.monotonic() + 15
    while _release_info(api.base) != {"1.2.0"}:
        assert time.monotonic() < deadline, _release_info(api.base)
        time.sleep(0.1)
    text = client.get("/metrics").text
    served = sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "opsready_http_requests_total" and s.labels["endpoint"] == "/version"
    )
    assert served >= len(poller.answers)  # counts of exited workers are kept
    client.close()
