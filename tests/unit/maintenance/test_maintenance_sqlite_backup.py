"""SQLite backups: the digest is the api's checksum, the copy is one snapshot even under writes, restores verify."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from opsready.errors import TargetError
from opsready.sandbox.backup import restore_sqlite_file, sqlite_backup_file
from opsready.sandbox.service.db import close_sessions, session
from opsready.sandbox.service.migrate import migrate
from opsready.sandbox.service.orders import create_order, order_stats
from opsready.sandbox.service.releases import RELEASES_DIR
from opsready.sandbox.upkeep import sqlite_housekeeping


@pytest.fixture
def orders_db(tmp_path: Path) -> Path:
    """A migrated orders database (release 1.2.0's schema) with 50 orders placed through the service's own code."""
    path = tmp_path / "orders.db"
    url = f"sqlite:///{path}"
    migrate(url, RELEASES_DIR / "1.2.0")
    with session(url) as db:
        for i in range(50):
            create_order(db, f"item-{i}", i % 7 + 1, time.time())
    close_sessions()
    return path


def test_the_backup_digest_is_the_api_checksum(orders_db: Path, tmp_path: Path) -> None:
    """The digest taken with the backup equals /orders/stats' checksum, count and last id for the same data."""
    digest = sqlite_backup_file(orders_db, tmp_path / "b.sqlite")
    with session(f"sqlite:///{orders_db}") as db:
        stats = order_stats(db, time.time())
    close_sessions()
    assert (digest.orders, digest.last_id, digest.checksum) == (stats.total, stats.last_id, stats.checksum)


def test_a_restore_reproduces_the_backup_exactly(orders_db: Path, tmp_path: Path) -> None:
    """Restored into a scratch file, the backup passes its integrity check and has the same digest."""
    backup = tmp_path / "b.sqlite"
    taken = sqlite_backup_file(orders_db, backup)
    assert restore_sqlite_file(backup, tmp_path / "scratch.db") == taken


def test_the_backup_is_one_snapshot_while_orders_keep_coming(orders_db: Path, tmp_path: Path) -> None:
    """A writer inserting throughout never makes the digest and the copied data disagree."""
    stop = threading.Event()

    def write() -> None:
        conn = sqlite3.connect(orders_db, timeout=10, isolation_level=None)
        for i in range(5000):
            if stop.is_set():
                break
            conn.execute("INSERT INTO orders (item, quantity, status, created_at) VALUES (?, 1, 'pending', 0)", (i,))
        conn.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for n in range(5):
            backup = tmp_path / f"b{n}.sqlite"
            taken = sqlite_backup_file(orders_db, backup)
            assert restore_sqlite_file(backup, tmp_path / f"s{n}.db") == taken
    finally:
        stop.set()
        writer.join(timeout=30)
    assert sqlite3.connect(orders_db).execute("SELECT COUNT(*) FROM orders").fetchone()[0] > 50


def test_a_corrupt_backup_fails_the_restore(orders_db: Path, tmp_path: Path) -> None:
    """A damaged backup file does not verify."""
    backup = tmp_path / "b.sqlite"
    sqlite_backup_file(orders_db, backup)
    data = bytearray(backup.read_bytes())
    data[4096:8192] = b"\xff" * 4096  # overwrite a page in the middle
    backup.write_bytes(bytes(data))
    with pytest.raises((TargetError, sqlite3.DatabaseError)):
        restore_sqlite_file(backup, tmp_path / "scratch.db")


def test_housekeeping_keeps_the_data_and_reports_integrity(orders_db: Path) -> None:
    """Integrity check, ANALYZE, VACUUM, checkpoint: 'ok', and the checksum is unchanged."""
    before = sqlite_backup_file(orders_db, orders_db.with_name("before.sqlite"))
    done = sqlite_housekeeping(orders_db)
    assert done.engine == "sqlite" and done.integrity == "ok"
    assert "VACUUM" in done.operations
    assert sqlite_backup_file(orders_db, orders_db.with_name("after.sqlite")) == before
