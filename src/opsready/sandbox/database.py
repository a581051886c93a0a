"""The sandbox's database: PostgreSQL in a data directory of its own, or SQLite when no server is installed.

PostgreSQL asks every connection, local socket or TCP, for a password (``scram-sha-256`` on every line of
``pg_hba.conf``). The password is generated once per data directory and kept in the libpq password file
:func:`passfile` (mode 0600) in the state directory; every client (the api, the worker, fault holders, probes,
``pg_dump``/``pg_restore``) names that file in its connection URL (``passfile=``, libpq's ``PGPASSFILE``), so the
password itself is never on a command line, in supervisord's configuration, in a process environment or in a report.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args
from urllib.parse import quote

from opsready.errors import EnvironmentProblem
from opsready.sandbox.layout import HOST, Layout, Ports
from opsready.sandbox.supervisor import Program

PG_USER = "opsready"
PG_DB = "orders"
PASSFILE = "pgpass"
# every connection proves the password, over the socket and over TCP alike (no trust, no peer)
HBA = """\
# written by opsready: every connection needs the password (kept in the state directory's pgpass file)
local   all             all                                     scram-sha-256
host    all             all             127.0.0.1/32            scram-sha-256
host    all             all             ::1/128                 scram-sha-256
local   replication     all                                     scram-sha-256
host    replication     all             127.0.0.1/32            scram-sha-256
host    replication     all             ::1/128                 scram-sha-256
"""
# the database engines a sandbox runs, and what may be asked for ('auto' prefers PostgreSQL when it is installed)
Engine = Literal["postgresql", "sqlite"]
EngineChoice = Literal["auto", "postgresql", "sqlite"]
ENGINES: tuple[EngineChoice, ...] = get_args(EngineChoice)
_RUN: tuple[Engine, ...] = get_args(Engine)


@dataclass(frozen=True)
class PgBinaries:
    """Where initdb and postgres are."""

    initdb: Path
    postgres: Path


def find_postgres() -> PgBinaries | None:
    """PostgreSQL server binaries: in $OPSREADY_PG_BINDIR when set, else on PATH or in Debian's versioned dirs."""
    override = os.environ.get("OPSREADY_PG_BINDIR")
    if override:
        candidates = [override]
    else:
        initdb, postgres = shutil.which("initdb"), shutil.which("postgres")
        if initdb and postgres:
            return PgBinaries(Path(initdb), Path(postgres))
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for bindir in candidates:
        i, p = Path(bindir) / "initdb", Path(bindir) / "postgres"
        if i.exists() and p.exists():
            return PgBinaries(i, p)
    return None


def choose_engine(requested: str, recorded: str | None) -> Engine:
    """The engine to use: the one this sandbox was created with, else as requested ('auto' prefers PostgreSQL)."""
    for engine in _RUN:
        if engine == recorded:
            return engine
    if requested == "sqlite":
        return "sqlite"
    if find_postgres() is not None:
        return "postgresql"
    if requested == "postgresql":
        raise EnvironmentProblem(
            "PostgreSQL server binaries (initdb, postgres) were not found",
            hint="install PostgreSQL (Debian: apt-get install postgresql) or set 'database: auto' to use SQLite",
        )
    return "sqlite"


def server_user() -> str | None:
    """The unprivileged account PostgreSQL runs as when we are root (initdb refuses root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise EnvironmentProblem("running as root, but there is no 'postgres' or 'nobody' account to run PostgreSQL as")


def _as_server_user(argv: list[str]) -> list[str]:
    user = server_user()
    return ["runuser", "-u", user, "--", *argv] if user else argv


def passfile(layout: Layout) -> Path:
    """The libpq password file of this sandbox's PostgreSQL (mode 0600; name it with PGPASSFILE or passfile=)."""
    return layout.state / PASSFILE


def _write_private(path: Path, text: str, owner: str | None = None) -> None:
    """Write ``text`` to a new file that only its owner can read, created with mode 0600 (never wider, not even
    for a moment), replacing ``path`` atomically."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        if owner is not None:
            entry = pwd.getpwnam(owner)
            os.fchown(fd, entry.pw_uid, entry.pw_gid)
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    os.replace(partial, path)


def new_password(layout: Layout) -> str:
    """A fresh password, saved in the password file before the server learns it (a crash before pg_hba.conf is
    ours again is repaired by the next ``up``, which sets a new one)."""
    password = secrets.token_urlsafe(24)  # letters, digits, '-' and '_': nothing libpq's file format escapes
    layout.state.mkdir(parents=True, exist_ok=True)
    _write_private(passfile(layout), f"*:*:*:{PG_USER}:{password}\n")
    return password


def _hba_is_ours(data: Path) -> bool:
    try:
        return (data / "pg_hba.conf").read_text() == HBA
    except OSError:
        return False


def _write_hba(data: Path) -> None:
    _write_private(data / "pg_hba.conf", HBA, server_user())


def _set_password_offline(bins: PgBinaries, data: Path, password: str) -> None:
    """Give the superuser ``password`` through single-user mode (the server is stopped): the statement goes in on
    standard input, never on a command line."""
    cmd = _as_server_user([str(bins.postgres), "--single", "-D", str(data), "postgres"])
    statement = f"ALTER ROLE {PG_USER} PASSWORD '{password}'\n"
    result = subprocess.run(cmd, input=statement, capture_output=True, text=True, check=False, timeout=120)
    if result.returncode != 0 or "ERROR" in result.stdout + result.stderr:
        detail = (result.stderr or result.stdout).replace(password, "[REDACTED]").strip()
        raise EnvironmentProblem(f"could not set the PostgreSQL password in single-user mode: {detail}")


def init_postgres(layout: Layout) -> None:
    """Create the data directory with initdb, once (password auth, loopback only); a data directory made before
    the server asked for passwords gets one now."""
    bins = find_postgres()
    if bins is None:
        raise EnvironmentProblem("PostgreSQL server binaries (initdb, postgres) were not found")
    data, run = layout.pg_data(), layout.pg_run()
    if (data / "PG_VERSION").exists():
        if not passfile(layout).exists() or not _hba_is_ours(data):  # made when every local connection was trusted
            _set_password_offline(bins, data, new_password(layout))
            _write_hba(data)
        return
    root = layout.pg_root
    root.mkdir(parents=True, exist_ok=True)
    run.mkdir(parents=True, exist_ok=True)
    user = server_user()
    if user:
        entry = pwd.getpwnam(user)
        for path in (root, run):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        os.chmod(root, 0o700)
    # initdb reads the password from a file the server user can read: a private one, removed right after
    pwfile = root / ".initdb-password"
    _write_private(pwfile, new_password(layout) + "\n", user)
    cmd = _as_server_user(
        [
            str(bins.initdb),
            "-D",
            str(data),
            "-U",
            PG_USER,
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--no-sync",
        ]
    )
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)
    finally:
        pwfile.unlink(missing_ok=True)
    if result.returncode != 0:
        raise EnvironmentProblem(f"initdb failed: {result.stderr.strip() or result.stdout.strip()}")
    _write_hba(data)


def postgres_program(layout: Layout, ports: Ports) -> Program:
    """The supervised PostgreSQL server (fast shutdown on stop)."""
    bins = find_postgres()
    assert bins is not None
    settings = [
        f"-p {ports.postgres}",
        f"-k {layout.pg_run()}",
        f"-c listen_addresses={HOST}",
        "-c max_connections=60",
        "-c fsync=off",
        "-c synchronous_commit=off",
        "-c shared_buffers=32MB",
    ]
    return Program(
        name="postgres",
        command=f"{bins.postgres} -D {layout.pg_data()} " + " ".join(settings),
        priority=10,
        user=server_user(),
        stopsignal="INT",
        stopwaitsecs=20,
        startsecs=0,
    )


def _url(layout: Layout, port: int, database: str) -> str:
    return (
        f"postgresql://{PG_USER}@{HOST}:{port}/{database}?passfile={quote(str(passfile(layout).resolve()), safe='/')}"
    )


def admin_url(layout: Layout, ports: Ports, database: str = "postgres") -> str:
    """A superuser URL straight to the server (not through the db proxy), for setup and maintenance; it names the
    password file, never the password."""
    return _url(layout, ports.postgres, database)


def app_url(layout: Layout, ports: Ports, engine: str) -> str:
    """The URL the api and worker use: through the db proxy for PostgreSQL (naming the password file), a file for
    SQLite."""
    if engine == "sqlite":
        return f"sqlite:///{layout.sqlite_db.resolve()}"
    return _url(layout, ports.db_proxy, PG_DB)


def wait_postgres(layout: Layout, ports: Ports, timeout: float = 30.0) -> None:
    """Wait until the server accepts connections, then make sure the orders database exists."""
    import psycopg

    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(admin_url(layout, ports), connect_timeout=1, autocommit=True) as conn:
                exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DB,)).fetchone()
                if not exists:
                    conn.execute(f"CREATE DATABASE {PG_DB}")
                return
        except psycopg.Error as exc:
            last = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            time.sleep(0.1)
    raise EnvironmentProblem(f"PostgreSQL did not accept connections within {timeout:.0f} s: {last}")


def prepare_sqlite(layout: Layout) -> None:
    """Create the SQLite directory and a database file only its owner can read (SQLite gives its -wal and -shm
    files the database file's mode)."""
    db = layout.sqlite_db
    db.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(db, os.O_WRONLY | os.O_CREAT, 0o600))
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        if path.exists():
            os.chmod(path, 0o600)
