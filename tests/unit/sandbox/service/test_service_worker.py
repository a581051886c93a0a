"""The background worker: fulfils due orders, rides out database outages, stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from opsready.sandbox.service.db import session
from opsready.sandbox.service.migrate import migrate
from opsready.sandbox.service.orders import create_order, order_stats
from opsready.sandbox.service.releases import RELEASES_DIR
from opsready.sandbox.service.worker import run


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def _pending(db_url: str) -> int:
    with session(db_url) as db:
        return order_stats(db, time.time()).pending


def test_run_fulfils_only_orders_old_enough(db_url: str) -> None:
    """Old orders are fulfilled; a fresh one waits for fulfil_after; the loop ends when stop is set."""
    migrate(db_url, RELEASES_DIR / "1.0.0")
    now = time.time()
    with session(db_url) as db:
        create_order(db, "tea", 1, now - 60)
        create_order(db, "mug", 1, now - 60)
        create_order(db, "kettle", 1, now + 3600)  # not due for an hour
    stop = threading.Event()
    lines: list[str] = []
    thread = threading.Thread(
        target=run, args=(db_url, stop), kwargs={"interval": 0.05, "fulfil_after": 1.0, "say": lines.append}
    )
    thread.start()
    try:
        _wait_for(lambda: _pending(db_url) == 1)
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    assert "fulfilled 2 order(s)" in lines
    assert lines[-1] == "stopping: fulfilled 2 order(s) in total"


@pytest.fixture
def spawn_worker(tmp_path: Path) -> Iterator[Callable[[str], subprocess.Popen[str]]]:
    """Start ``python -m opsready.sandbox.service.worker`` processes; each is stopped by pid afterwards."""
    started: list[subprocess.Popen[str]] = []

    def spawn(db_url: str) -> subprocess.Popen[str]:
        env = {**os.environ, "OPSREADY_DB_URL": db_url, "PYTHONUNBUFFERED": "1"}
        command = [
            sys.executable,
            "-m",
            "opsready.sandbox.service.worker",
            "--interval",
            "0.1",
            "--fulfil-after",
            "0.2",
        ]
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started.append(proc)
        return proc

    yield spawn
    for proc in started:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(5)
        if proc.stdout is not None:
            proc.stdout.close()


def _stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    os.kill(proc.pid, signal.SIGTERM)
    out, _ = proc.communicate(timeout=10)
    return proc.returncode, out


def test_worker_process_fulfils_orders_and_exits_on_sigterm(
    db_url: str, spawn_worker: Callable[[str], subprocess.Popen[str]]
) -> None:
    """The real process fulfils new orders within a second or so and exits 0 on SIGTERM, saying so."""
    migrate(db_url, RELEASES_DIR / "1.2.0")
    proc = spawn_worker(db_url)
    with session(db_url) as db:
        for item in ("tea", "mug", "kettle"):
            create_order(db, item, 1, time.time())
    _wait_for(lambda: _pending(db_url) == 0)
    code, out = _stop(proc)
    assert code == 0
    assert "started: fulfilling orders older than 0.2 s every 0.1 s" in out
    assert "stopping: fulfilled 3 order(s) in total" in out


def test_worker_survives_a_database_outage(
    tmp_path: Path, spawn_worker: Callable[[str], subprocess.Popen[str]]
) -> None:
    """No database at first: the worker logs, backs off and keeps going; once the database exists it does its job."""
    url = f"sqlite:///{tmp_path}/later/orders.db"
    proc = spawn_worker(url)
    assert proc.stdout is not None
    seen = ""  # the outage must have been seen before the database appears (however slow the worker starts)
    deadline = time.monotonic() + 20
    while "cannot reach the orders database" not in seen:
        assert time.monotonic() < deadline and proc.poll() is None, seen
        seen += proc.stdout.readline()
    (tmp_path / "later").mkdir()
    migrate(url, RELEASES_DIR / "1.0.0")
    with session(url) as db:
        create_order(db, "tea", 1, time.time())
    _wait_for(lambda: _pending(url) == 0)
    code, rest = _stop(proc)
    out = seen + rest
    assert code == 0
    assert "cannot reach the orders database (attempt 1, retrying in 0.2 s)" in out
    assert "database reachable again after" in out
    failures = out.count("cannot reach the orders database")
    assert 1 <= failures <= 6  # backing off, not spinning


def test_worker_without_database_url_exits_2() -> None:
    """A missing OPSREADY_DB_URL is a configuration error, not a crash loop."""
    env = {k: v for k, v in os.environ.items() if k != "OPSREADY_DB_URL"}
    command = [sys.executable, "-m", "opsready.sandbox.service.worker"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert "OPSREADY_DB_URL is not set" in result.stderr
