"""Fixtures for the orders service tests: SQLite always, a throwaway PostgreSQL server when ``initdb`` is installed."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from flask.testing import FlaskClient

from opsready.sandbox.service.app import create_app
from opsready.sandbox.service.db import close_sessions
from opsready.sandbox.service.migrate import migrate
from opsready.sandbox.service.releases import RELEASES_DIR

ENGINES = ("sqlite", "postgresql")


def free_port() -> int:
    """A TCP port on loopback that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def release_dir(version: str) -> Path:
    """A shipped release directory."""
    return RELEASES_DIR / version


@dataclass(frozen=True)
class PgServer:
    """A PostgreSQL server started for this test session."""

    port: int
    pid: int
    _names: Iterator[int]

    def admin_url(self) -> str:
        """URL of the maintenance database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def new_database(self) -> str:
        """Create an empty database and return its URL."""
        name = f"orders_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.admin_url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"


@pytest.fixture(autouse=True)
def _close_kept_connections() -> Iterator[None]:
    """Kept connections belong to one test (a dropped database or deleted file must not leak into the next)."""
    yield
    close_sessions()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A real PostgreSQL server on a free loopback port (as the ``postgres`` user when we are root)."""
    initdb, postgres = shutil.which("initdb"), shutil.which("postgres")
    if initdb is None or postgres is None:
        pytest.skip("PostgreSQL is not installed (no initdb/postgres on PATH)")
    as_root = os.geteuid() == 0
    user = {"user": "postgres", "group": "postgres"} if as_root else {}
    root = Path(tempfile.mkdtemp(prefix="opsready-svc-pg-"))
    if as_root:
        shutil.chown(root, "postgres", "postgres")
    data = root / "data"
    subprocess.run(
        [initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
        check=True,
        capture_output=True,
        **user,  # type: ignore[call-overload]
    )
    port = free_port()
    options = ["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-k", str(root), "-p", str(port)]
    log = (root / "server.log").open("wb")
    proc = subprocess.Popen([postgres, "-D", str(data), *options], stdout=log, stderr=log, **user)  # type: ignore[call-overload]
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield PgServer(port, proc.pid, itertools.count())
    finally:
        os.kill(proc.pid, signal.SIGINT)  # fast shutdown
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(5)
        log.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite database."""
    return f"sqlite:///{tmp_path / 'orders.db'}"


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """An empty PostgreSQL database."""
    return pg_server.new_database()


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database on each engine."""
    url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    return url


Client = Callable[..., FlaskClient]


@pytest.fixture
def client_for(db_url: str) -> Client:
    """A test client for a shipped release on the test database, migrated to that release unless told not to."""

    def make(version: str, *, migrated: bool = True, url: str | None = None) -> FlaskClient:
        if migrated:
            migrate(url or db_url, release_dir(version))
        return create_app(release_dir(version), db_url=url or db_url).test_client()

    return make
