"""The orders database: PostgreSQL through psycopg or SQLite, chosen by the URL scheme, and always failing fast.

Statements use ``?`` placeholders on both engines. A dead or blackholed database must turn requests into quick
errors, never hangs: connecting gives up after :data:`CONNECT_TIMEOUT` seconds and every PostgreSQL statement runs
under a watchdog that shuts the socket down when no answer came in time (libpq has no client-side read timeout, and
the server-side ``statement_timeout`` cannot help when the network itself is silent).
"""

from __future__ import annotations

import os
import select
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import psycopg

from opsready.errors import ConfigError, TargetError

CONNECT_TIMEOUT = 1.0
STATEMENT_TIMEOUT = 2.0
_WATCHDOG_GRACE = 0.5  # at the server's own statement_timeout, let the server answer first when the network is fine
Row = tuple[Any, ...]


class DatabaseError(TargetError):
    """The orders database could not be reached (``unavailable``) or refused a statement."""

    def __init__(self, message: str, *, unavailable: bool) -> None:
        super().__init__(message)
        self.unavailable = unavailable


@dataclass(frozen=True)
class DbUrl:
    """A parsed database URL: ``postgresql://user@host:port/db`` or ``sqlite:////abs/path.db``."""

    kind: Literal["postgresql", "sqlite"]
    url: str
    path: str = ""


def parse_db_url(url: str) -> DbUrl:
    """Parse and check a database URL; anything but PostgreSQL or SQLite is a :class:`ConfigError`."""
    scheme = urlsplit(url).scheme
    if scheme in ("postgresql", "postgres"):
        return DbUrl("postgresql", url)
    if scheme == "sqlite" and url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return DbUrl("sqlite", url, url[len("sqlite:///") :])
    raise ConfigError(f"unsupported database URL {scheme or url!r}: expected postgresql://... or sqlite:////path")


class _Watchdog:
    """Shut a socket down if the operation guarded by this context outlives its deadline."""

    def __init__(self, fd: int, seconds: float) -> None:
        self._fd = fd
        self._lock = threading.Lock()
        self._done = False
        self.fired = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:  # once we hold it, the fd cannot be shut down behind our back (or after it is reused)
            self._done = True
        self._timer.cancel()

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            try:
                with socket.socket(fileno=os.dup(self._fd)) as sock:
                    sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Db:
    """One open connection to the orders database."""

    kind: Literal["postgresql", "sqlite"]

    def query(self, sql: str, params: Sequence[object] = (), *, timeout: float = STATEMENT_TIMEOUT) -> list[Row]:
        """Run one statement and return its rows (empty for statements without a result)."""
        return self._guarded(sql, params, timeout)[0]

    def execute(self, sql: str, params: Sequence[object] = (), *, timeout: float = STATEMENT_TIMEOUT) -> int:
        """Run one statement and return the number of rows it changed."""
        return self._guarded(sql, params, timeout)[1]

    @contextmanager
    def transaction(self, *, exclusive: bool = False) -> Iterator[None]:
        """Run the block in one transaction; ``exclusive`` takes the write lock up front (SQLite's BEGIN IMMEDIATE)."""
        self.execute("BEGIN IMMEDIATE" if exclusive and self.kind == "sqlite" else "BEGIN")
        try:
            yield
        except BaseException:
            with suppress(DatabaseError):  # when the connection is gone, so is the transaction
                self.execute("ROLLBACK")
            raise
        self.execute("COMMIT")

    def table_exists(self, name: str, *, timeout: float = STATEMENT_TIMEOUT) -> bool:
        """Whether a table of that name exists."""
        if self.kind == "postgresql":
            return self.query("SELECT to_regclass(?) IS NOT NULL", (name,), timeout=timeout)[0][0] is True
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        return bool(self.query(sql, (name,), timeout=timeout))

    def close(self) -> None:
        """Close the connection (never raises)."""
        raise NotImplementedError

    def dropped(self) -> bool:
        """Whether the server has already ended this idle connection (checked without a round trip)."""
        return False

    def _run(self, sql: str, params: Sequence[object], timeout: float) -> tuple[list[Row], int]:
        raise NotImplementedError

    def _guarded(self, sql: str, params: Sequence[object], timeout: float) -> tuple[list[Row], int]:
        try:
            return self._run(sql, params, timeout)
        except psycopg.OperationalError as exc:
            raise DatabaseError(f"database unavailable: {_first_line(exc)}", unavailable=True) from exc
        except psycopg.InterfaceError as exc:
            raise DatabaseError(f"database unavailable: {_first_line(exc)}", unavailable=True) from exc
        except psycopg.Error as exc:
            raise DatabaseError(f"database error: {_first_line(exc)}", unavailable=False) from exc
        except sqlite3.Error as exc:
            unavailable = isinstance(exc, sqlite3.OperationalError) and "no such" not in str(exc)
            prefix = "database unavailable" if unavailable else "database error"
            raise DatabaseError(f"{prefix}: {_first_line(exc)}", unavailable=unavailable) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class _PgDb(Db):
    def __init__(self, conn: psycopg.Connection[Row]) -> None:
        self.kind = "postgresql"
        self._conn = conn

    def _run(self, sql: str, params: Sequence[object], timeout: float) -> tuple[list[Row], int]:
        if params:
            sql = sql.replace("?", "%s")
        grace = _WATCHDOG_GRACE if timeout >= STATEMENT_TIMEOUT else 0.0
        with _Watchdog(self._conn.fileno(), timeout + grace) as dog:
            try:
                cur = self._conn.execute(sql, tuple(params) if params else None)
                rows = cur.fetchall() if cur.description else []
            except psycopg.Error:
                if dog.fired:
                    raise psycopg.OperationalError(f"no answer within {timeout:g} s") from None
                raise
        return rows, cur.rowcount

    def close(self) -> None:
        with suppress(psycopg.Error):
            self._conn.close()

    def dropped(self) -> bool:
        # an idle connection in autocommit has nothing to read unless the server said goodbye (a restart, a
        # terminated backend, a proxy that closed it): then the socket is readable, at no cost of a round trip
        if self._conn.closed or self._conn.broken:
            return True
        try:
            readable, _, _ = select.select([self._conn.fileno()], [], [], 0)
        except (OSError, ValueError, psycopg.Error):
            return True
        return bool(readable)


class _SqliteDb(Db):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.kind = "sqlite"
        self._conn = conn
        self._deadline = 0.0
        # SQLite has no statement timeout: abort statements that run past the deadline (raises "interrupted")
        conn.set_progress_handler(lambda: int(time.monotonic() > self._deadline), 10_000)

    def _run(self, sql: str, params: Sequence[object], timeout: float) -> tuple[list[Row], int]:
        self._deadline = time.monotonic() + timeout
        cur = self._conn.execute(sql, tuple(params))
        return cur.fetchall(), cur.rowcount

    def close(self) -> None:
        self._conn.close()


def _connect_pg(url: str, timeout: float, app_name: str) -> psycopg.Connection[Row]:
    """Connect in a helper thread so we can give up after ``timeout`` (psycopg enforces a 2 s minimum)."""
    lock = threading.Lock()
    done = threading.Event()
    box: dict[str, Any] = {}

    def attempt() -> None:
        try:
            conn = psycopg.connect(
                url,
                autocommit=True,
                connect_timeout=2,
                application_name=app_name,
                options=f"-c statement_timeout={int(STATEMENT_TIMEOUT * 1000)}",
            )
        except psycopg.Error as exc:
            with lock:
                box["error"] = exc
        else:
            with lock:
                if box.get("abandoned"):
                    conn.close()
                else:
                    box["conn"] = conn
        done.set()

    threading.Thread(target=attempt, name="opsready-db-connect", daemon=True).start()
    done.wait(timeout)
    with lock:
        if "conn" in box:
            conn: psycopg.Connection[Row] = box["conn"]
            return conn
        box["abandoned"] = True
        error = box.get("error")
    if error is not None:
        raise DatabaseError(f"database unavailable: {_first_line(error)}", unavailable=True)
    raise DatabaseError(f"database unavailable: no connection within {timeout:g} s", unavailable=True)


def connect(db_url: str, *, timeout: float = CONNECT_TIMEOUT, app_name: str = "opsready") -> Db:
    """Open a new connection; the caller closes it. Fails with :class:`DatabaseError` within about ``timeout``."""
    url = parse_db_url(db_url)
    if url.kind == "postgresql":
        return _PgDb(_connect_pg(url.url, timeout, app_name))
    try:
        conn = sqlite3.connect(url.path, timeout=STATEMENT_TIMEOUT, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.Error as exc:
        raise DatabaseError(f"database unavailable: {_first_line(exc)} ({url.path})", unavailable=True) from exc
    return _SqliteDb(conn)


class _Sessions(threading.local):
    def __init__(self) -> None:
        self.open: dict[str, tuple[int, Db]] = {}


_sessions = _Sessions()
_inherited: list[Db] = []  # connections opened before a fork: never used or closed in the child


@contextmanager
def session(db_url: str, *, app_name: str = "opsready") -> Iterator[Db]:
    """A connection kept per process and thread; any database error drops it, so the next call reconnects. A kept
    connection the server has ended meanwhile (PostgreSQL restarted) is replaced before use, so no request fails
    for it."""
    entry = _sessions.open.get(db_url)
    if entry is not None and entry[0] != os.getpid():
        _inherited.append(entry[1])
        entry = None
    if entry is not None and entry[1].dropped():
        entry[1].close()
        entry = None
    db = entry[1] if entry is not None else connect(db_url, app_name=app_name)
    _sessions.open[db_url] = (os.getpid(), db)
    try:
        yield db
    except DatabaseError:
        _sessions.open.pop(db_url, None)
        db.close()
        raise


def ping(db_url: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Connect afresh and run ``SELECT 1``, all within about ``timeout`` seconds; raises :class:`DatabaseError`."""
    start = time.monotonic()
    db = connect(db_url, timeout=timeout, app_name="opsready-ping")
    try:
        db.query("SELECT 1", timeout=max(0.1, timeout - (time.monotonic() - start)))
    finally:
        db.close()


def close_sessions() -> None:
    """Close this thread's kept connections (tests, and a worker shutting down)."""
    for pid, db in list(_sessions.open.values()):
        if pid == os.getpid():
            db.close()
    _sessions.open.clear()
