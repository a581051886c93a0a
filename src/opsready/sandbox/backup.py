"""Backups of the sandbox's orders database, and restores into a scratch database that prove them.

PostgreSQL: ``pg_dump --format=custom`` of the server's own version, run in a snapshot exported by a connection
that computes the orders digest in that same snapshot, so the digest describes exactly what the dump holds even
while users keep ordering. The restore goes into a scratch database with ``pg_restore``. SQLite: the online backup
API, read through a connection holding a read transaction (WAL snapshot), restored the same way into a scratch file.
The digest is the api's ``/orders/stats`` checksum: SHA-256 over ``id\\titem\\tquantity`` lines in id order.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsready.errors import EnvironmentProblem, TargetError
from opsready.sandbox import database
from opsready.targets.maintenance import Backup, DataDigest, RestoreCheck

if TYPE_CHECKING:
    from opsready.sandbox.manager import Sandbox

DIGEST_SQL = "SELECT id, item, quantity FROM orders ORDER BY id"
TOOL_TIMEOUT = 300.0
_scratch_names = itertools.count(1)


def digest_rows(rows: Iterable[tuple[Any, ...]]) -> DataDigest:
    """The orders digest over ``(id, item, quantity)`` rows in id order (the api's checksum, line for line)."""
    digest = hashlib.sha256()
    count, last = 0, None
    for id_, item, quantity in rows:
        digest.update(f"{id_}\t{item}\t{quantity}\n".encode())
        count, last = count + 1, int(id_)
    return DataDigest(count, last, digest.hexdigest())


def _stamp() -> tuple[str, str]:
    now = datetime.now(tz=UTC)
    return now.strftime("%Y%m%dT%H%M%S%fZ"), now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _pg_tool(name: str) -> str:
    """A PostgreSQL client tool of the server's own version (pg_dump refuses servers newer than itself)."""
    bins = database.find_postgres()
    if bins is not None:
        candidate = bins.initdb.resolve().parent / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise EnvironmentProblem(f"'{name}' was not found", hint="install the PostgreSQL client tools")
    return found


def _run_tool(argv: list[str]) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=TOOL_TIMEOUT)
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()
        raise TargetError(f"{Path(argv[0]).name} failed: {message[-1] if message else f'exit {result.returncode}'}")


def _write_manifest(backup: Backup) -> None:
    data = asdict(backup)
    data["path"] = str(backup.path)
    backup.path.with_name(backup.path.name + ".json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def backup_directory(sandbox: Sandbox, directory: Path | None) -> Path:
    """Where backups go: the given directory, else ``backups/`` in the sandbox's state directory."""
    target = directory if directory is not None else sandbox.layout.state / "backups"
    target.mkdir(parents=True, exist_ok=True)
    return target.resolve()


def take_backup(sandbox: Sandbox, directory: Path | None = None) -> Backup:
    """An online backup of the orders database with the digest of exactly what it holds."""
    engine = sandbox.engine() or "sqlite"
    folder = backup_directory(sandbox, directory)
    stamp, wall = _stamp()
    start = time.monotonic()
    if engine == "postgresql":
        path = folder / f"orders-{stamp}.dump"
        tool, digest = "pg_dump --format=custom", _pg_backup(sandbox, path)
    else:
        path = folder / f"orders-{stamp}.sqlite"
        tool, digest = "sqlite3 online backup API", _sqlite_backup(sandbox.layout.sqlite_db, path)
    result = Backup(path, engine, tool, path.stat().st_size, time.monotonic() - start, digest, wall)
    _write_manifest(result)
    return result


def _pg_backup(sandbox: Sandbox, path: Path) -> DataDigest:
    import psycopg

    ports = sandbox.ports()
    partial = path.with_name(f".{path.name}.partial")
    url = database.admin_url(sandbox.layout, ports, database.PG_DB)
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert snapshot is not None
        digest = digest_rows(conn.execute(DIGEST_SQL))
        # the exported snapshot lives as long as this transaction: pg_dump must run before COMMIT
        _run_tool(
            [
                _pg_tool("pg_dump"),
                "--format=custom",
                f"--snapshot={snapshot[0]}",
                "--no-owner",
                f"--dbname={url}",  # names the password file, never the password
                f"--file={partial}",
            ]
        )
        conn.execute("COMMIT")
    os.replace(partial, path)
    return digest


def _sqlite_backup(source: Path, path: Path) -> DataDigest:
    partial = path.with_name(f".{path.name}.partial")
    src = sqlite3.connect(source, timeout=10, isolation_level=None)
    try:
        src.execute("BEGIN")  # a read transaction: digest and copy see the same WAL snapshot
        digest = digest_rows(src.execute(DIGEST_SQL))
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
        finally:
            dst.close()
        src.execute("COMMIT")
    finally:
        src.close()
    os.replace(partial, path)
    return digest


def verify_restore(sandbox: Sandbox, backup: Backup) -> RestoreCheck:
    """Restore ``backup`` into a scratch database, take its digest, and remove the scratch again."""
    if not backup.path.is_file():
        raise TargetError(f"backup file {backup.path} does not exist")
    start = time.monotonic()
    if backup.engine == "postgresql":
        scratch, restored, removed = _pg_restore(sandbox, backup.path)
    else:
        scratch, restored, removed = _sqlite_restore(sandbox, backup.path)
    return RestoreCheck(backup.path, scratch, backup.digest, restored, time.monotonic() - start, removed)


def _pg_restore(sandbox: Sandbox, path: Path) -> tuple[str, DataDigest, bool]:
    import psycopg

    ports = sandbox.ports()
    name = f"orders_restore_{os.getpid()}_{next(_scratch_names)}"
    admin = database.admin_url(sandbox.layout, ports)
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    removed = False
    try:
        _run_tool(
            [
                _pg_tool("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                f"--dbname={database.admin_url(sandbox.layout, ports, name)}",
                str(path),
            ]
        )
        scratch = database.admin_url(sandbox.layout, ports, name)
        with psycopg.connect(scratch, autocommit=True, connect_timeout=5) as conn:
            restored = digest_rows(conn.execute(DIGEST_SQL))
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            removed = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None
    return f"postgresql database {name}", restored, removed


def _sqlite_restore(sandbox: Sandbox, path: Path) -> tuple[str, DataDigest, bool]:
    scratch_dir = sandbox.layout.state / "scratch"
    scratch_dir.mkdir(parents=True, exist_ok=True)
    scratch = scratch_dir / f"orders-restore-{os.getpid()}-{next(_scratch_names)}.db"
    try:
        return f"sqlite file {scratch.name}", restore_sqlite_file(path, scratch), True
    finally:
        for leftover in (scratch, scratch.with_name(scratch.name + "-wal"), scratch.with_name(scratch.name + "-shm")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def restore_sqlite_file(backup: Path, scratch: Path) -> DataDigest:
    """Restore a SQLite backup into ``scratch`` with the backup API, check its integrity, return its digest."""
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    dst = sqlite3.connect(scratch)
    try:
        src.backup(dst)
        integrity = dst.execute("PRAGMA integrity_check").fetchone()
        if integrity is None or integrity[0] != "ok":
            raise TargetError(f"restored database fails its integrity check: {integrity}")
        return digest_rows(dst.execute(DIGEST_SQL))
    finally:
        src.close()
        dst.close()


def sqlite_backup_file(source: Path, path: Path) -> DataDigest:
    """Back a SQLite database file up into ``path``; the digest of exactly what was copied."""
    return _sqlite_backup(source, path)
