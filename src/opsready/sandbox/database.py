"""The sandbox's database: PostgreSQL in a data directory of its own, or SQLite when no server is installed."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from opsready.errors import EnvironmentProblem
from opsready.sandbox.layout import HOST, Layout, Ports
from opsready.sandbox.supervisor import Program

PG_USER = "opsready"
PG_DB = "orders"
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


def init_postgres(layout: Layout) -> None:
    """Create the data directory with initdb, once (trust auth, loopback only)."""
    bins = find_postgres()
    if bins is None:
        raise EnvironmentProblem("PostgreSQL server binaries (initdb, postgres) were not found")
    data, run = layout.pg_data(), layout.pg_run()
    if (data / "PG_VERSION").exists():
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
    cmd = _as_server_user(
        [str(bins.initdb), "-D", str(data), "-U", PG_USER, "--auth=trust", "--encoding=UTF8", "--no-sync"]
    )
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)
    if result.returncode != 0:
        raise EnvironmentProblem(f"initdb failed: {result.stderr.strip() or result.stdout.strip()}")


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


def admin_url(ports: Ports, database: str = "postgres") -> str:
    """A superuser URL straight to the server (not through the db proxy), for setup and maintenance."""
    return f"postgresql://{PG_USER}@{HOST}:{ports.postgres}/{database}"


def app_url(layout: Layout, ports: Ports, engine: str) -> str:
    """The URL the api and worker use: through the db proxy for PostgreSQL, a file for SQLite."""
    if engine == "sqlite":
        return f"sqlite:///{layout.sqlite_db.resolve()}"
    return f"postgresql://{PG_USER}@{HOST}:{ports.db_proxy}/{PG_DB}"


def wait_postgres(ports: Ports, timeout: float = 30.0) -> None:
    """Wait until the server accepts connections, then make sure the orders database exists."""
    import psycopg

    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(admin_url(ports), connect_timeout=1, autocommit=True) as conn:
                exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DB,)).fetchone()
                if not exists:
                    conn.execute(f"CREATE DATABASE {PG_DB}")
                return
        except psycopg.Error as exc:
            last = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            time.sleep(0.1)
    raise EnvironmentProblem(f"PostgreSQL did not accept connections within {timeout:.0f} s: {last}")


def prepare_sqlite(layout: Layout) -> None:
    """Create the SQLite directory."""
    layout.sqlite_db.parent.mkdir(parents=True, exist_ok=True)
