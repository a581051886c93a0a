"""Routine upkeep of a running sandbox: database housekeeping, log rotation, disk usage.

Log rotation goes through supervisord, which owns every program's log: the log is renamed into the archive first and
supervisord is then asked to reopen it (``clearProcessLogs``), so lines written in between land in the archive and
none is lost; the archive is gzipped afterwards.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from opsready.sandbox import database
from opsready.targets.maintenance import DiskUsage, Housekeeping, LogRotation, RotatedLog

if TYPE_CHECKING:
    from opsready.sandbox.manager import Sandbox


def housekeeping(sandbox: Sandbox) -> Housekeeping:
    """VACUUM and ANALYZE the orders database online (PostgreSQL), or ANALYZE, VACUUM and checkpoint (SQLite)."""
    start = time.monotonic()
    if (sandbox.engine() or "sqlite") == "postgresql":
        return _pg_housekeeping(sandbox, start)
    return sqlite_housekeeping(sandbox.layout.sqlite_db, start)


def _pg_housekeeping(sandbox: Sandbox, start: float) -> Housekeeping:
    import psycopg

    url = database.admin_url(sandbox.layout, sandbox.ports(), database.PG_DB)
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        size = "SELECT pg_database_size(current_database())"
        before = conn.execute(size).fetchone()
        conn.execute("VACUUM (ANALYZE)")  # plain VACUUM takes no exclusive lock: users keep ordering meanwhile
        after = conn.execute(size).fetchone()
        invalid = conn.execute("SELECT count(*) FROM pg_index WHERE NOT indisvalid OR NOT indisready").fetchone()
    count = int(invalid[0]) if invalid else -1
    integrity = "ok (every index valid)" if count == 0 else f"{count} invalid index(es)"
    return Housekeeping(
        "postgresql",
        ("VACUUM (ANALYZE)", "index validity check"),
        int(before[0]) if before else 0,
        int(after[0]) if after else 0,
        integrity,
        time.monotonic() - start,
    )


def _sqlite_size(path: Path) -> int:
    total = 0
    for suffix in ("", "-wal"):
        with contextlib.suppress(FileNotFoundError):
            total += path.with_name(path.name + suffix).stat().st_size
    return total


def sqlite_housekeeping(path: Path, start: float | None = None) -> Housekeeping:
    """Integrity check, ANALYZE, VACUUM and a WAL checkpoint on a SQLite database file."""
    began = time.monotonic() if start is None else start
    before = _sqlite_size(path)
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        row = conn.execute("PRAGMA integrity_check").fetchone()
        conn.execute("ANALYZE")
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    operations = ("PRAGMA integrity_check", "ANALYZE", "VACUUM", "wal_checkpoint(TRUNCATE)")
    integrity = str(row[0]) if row else "no answer"
    return Housekeeping("sqlite", operations, before, _sqlite_size(path), integrity, time.monotonic() - began)


def rotate_logs(sandbox: Sandbox, keep: int) -> LogRotation:
    """Archive every non-empty program log, have supervisord reopen it, keep ``keep`` archives per program."""
    sup = sandbox.supervisor()
    archive_dir = sandbox.layout.logs / "archive"
    archive_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%S%fZ")
    rotated: list[RotatedLog] = []
    removed: list[Path] = []
    programs = [str(info["name"]) for info in sup.all_info()]
    for info in sup.all_info():
        name = str(info["name"])
        log = Path(str(info.get("stdout_logfile") or sandbox.layout.logs / f"{name}.log"))
        if not log.is_file() or log.stat().st_size == 0:
            continue  # nothing new to archive; the retention below still applies
        moved = archive_dir / f"{name}-{stamp}.log"
        os.replace(log, moved)
        sup.call("clearProcessLogs", name)  # closes the renamed file, opens a fresh one
        archive = moved.with_name(moved.name + ".gz")
        with moved.open("rb") as src, gzip.open(archive, "wb") as dst:
            shutil.copyfileobj(src, dst)
        size = moved.stat().st_size
        moved.unlink()
        rotated.append(RotatedLog(name, archive, size))
    for name in programs:
        removed.extend(_prune(archive_dir, name, keep))
    return LogRotation(tuple(rotated), tuple(removed), keep)


def _prune(archive_dir: Path, name: str, keep: int) -> list[Path]:
    archives = sorted(archive_dir.glob(f"{name}-*.log.gz"))  # the UTC stamp in the name sorts by age
    doomed = archives[: max(0, len(archives) - keep)]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def tree_bytes(path: Path) -> int:
    """Bytes in the files below ``path`` (not following links); 0 when it does not exist."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def disk_usage(sandbox: Sandbox) -> DiskUsage:
    """The filesystem of the state directory, and the sandbox's own bytes by area."""
    layout = sandbox.layout
    usage = shutil.disk_usage(layout.state)
    database_dir = layout.pg_root if sandbox.engine() == "postgresql" else layout.sqlite_db.parent
    areas = {
        "database": tree_bytes(database_dir),
        "logs": tree_bytes(layout.logs),
        "backups": tree_bytes(layout.state / "backups"),
        "releases": tree_bytes(layout.releases),
    }
    if database_dir.is_relative_to(layout.state):
        counted = sum(areas.values())
        areas["other"] = max(0, tree_bytes(layout.state) - counted)
    else:
        areas["other"] = max(0, tree_bytes(layout.state) - sum(v for k, v in areas.items() if k != "database"))
    return DiskUsage(layout.state, usage.total, usage.used, usage.free, tuple(areas.items()))
