"""The database layer: URL parsing, failing fast on a dead or silent database, and recovering by itself."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from opsready.errors import ConfigError
from opsready.sandbox.service.db import DatabaseError, DbUrl, connect, parse_db_url, ping, session


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@127.0.0.1:5432/orders", DbUrl("postgresql", "postgresql://u@127.0.0.1:5432/orders")),
        ("postgres://u@h/db", DbUrl("postgresql", "postgres://u@h/db")),
        ("sqlite:////abs/path/orders.db", DbUrl("sqlite", "sqlite:////abs/path/orders.db", "/abs/path/orders.db")),
    ],
)
def test_parse_db_url(url: str, expected: DbUrl) -> None:
    """The scheme picks the engine; SQLite URLs carry an absolute path after three slashes."""
    assert parse_db_url(url) == expected


@pytest.mark.parametrize("url", ["mysql://h/db", "sqlite://", "orders.db", ""])
def test_parse_db_url_rejects_other_engines(url: str) -> None:
    """Anything else is a configuration mistake."""
    with pytest.raises(ConfigError, match="unsupported database URL"):
        parse_db_url(url)


def test_session_keeps_one_connection_and_transactions_roll_back(db_url: str) -> None:
    """The same connection serves consecutive calls; a failed block leaves no trace."""
    with session(db_url) as first:
        first.execute("CREATE TABLE t (x INTEGER)")
    with session(db_url) as second:
        assert second is first

    def failing_block() -> None:
        with session(db_url) as db, db.transaction():
            db.execute("INSERT INTO t (x) VALUES (?)", (1,))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        failing_block()
    with session(db_url) as db:
        assert db.query("SELECT COUNT(*) FROM t") == [(0,)]
        assert db.table_exists("t")
        assert not db.table_exists("nope")


def test_sql_errors_are_not_unavailability(db_url: str) -> None:
    """A missing table is a database error (500), not an outage (503)."""
    with pytest.raises(DatabaseError) as caught, session(db_url) as db:
        db.query("SELECT * FROM no_such_table")
    assert caught.value.unavailable is False


def test_sqlite_recovers_once_the_file_can_be_opened(tmp_path: Path) -> None:
    """A failed connection is not kept: the next call succeeds when the database is back."""
    url = f"sqlite:///{tmp_path}/later/orders.db"
    with pytest.raises(DatabaseError) as caught, session(url):
        pass
    assert caught.value.unavailable
    (tmp_path / "later").mkdir()
    with session(url) as db:
        assert db.query("SELECT 1") == [(1,)]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose listener accepts connections (kernel backlog) and never says a word: a blackholed database."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


def test_a_silent_database_fails_fast(silent_port: int) -> None:
    """Connecting to a blackhole gives up after about a second instead of hanging."""
    url = f"postgresql://postgres@127.0.0.1:{silent_port}/orders"
    for attempt in (lambda: connect(url), lambda: ping(url, 1.0)):
        started = time.monotonic()
        with pytest.raises(DatabaseError, match="no connection within 1 s") as caught:
            attempt()
        assert caught.value.unavailable
        assert time.monotonic() - started < 2.0


def test_a_refused_connection_fails_at_once(silent_port: int) -> None:
    """Nobody listening: an immediate, clear error."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(DatabaseError, match="database unavailable"):
        connect(f"postgresql://postgres@127.0.0.1:{port}/orders")
    assert time.monotonic() - started < 1.0


def test_postgresql_statement_that_overruns_is_cut_off_and_the_session_recovers(pg_url: str) -> None:
    """The watchdog ends a statement that gets no answer in time; the next call reconnects by itself."""
    started = time.monotonic()
    with pytest.raises(DatabaseError, match=r"no answer within 0\.2 s") as caught, session(pg_url) as db:
        db.query("SELECT pg_sleep(5)", timeout=0.2)
    assert caught.value.unavailable
    assert time.monotonic() - started < 2.0
    with session(pg_url) as db:
        assert db.query("SELECT 1") == [(1,)]


def test_postgresql_session_replaces_a_connection_the_server_dropped_before_using_it(pg_url: str) -> None:
    """A kept connection the server terminated (as a restart does) is noticed before use: the next call succeeds
    on a new connection instead of failing once."""
    with session(pg_url) as db:
        pid = db.query("SELECT pg_backend_pid()")[0][0]
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    time.sleep(0.1)
    with session(pg_url) as db:
        assert db.query("SELECT pg_backend_pid()")[0][0] != pid


def test_a_kept_idle_connection_is_not_dropped(pg_url: str) -> None:
    """A healthy idle connection is kept: the check costs no reconnect."""
    with session(pg_url) as db:
        pid = db.query("SELECT pg_backend_pid()")[0][0]
        assert not db.dropped()
    with session(pg_url) as db:
        assert db.query("SELECT pg_backend_pid()")[0][0] == pid


def test_postgresql_server_statement_timeout_is_two_seconds(pg_url: str) -> None:
    """Every connection carries statement_timeout = 2 s."""
    with session(pg_url) as db:
        assert db.query("SHOW statement_timeout") == [("2s",)]
