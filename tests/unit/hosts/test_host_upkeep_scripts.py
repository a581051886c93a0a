"""The commands the hosts target's maintenance runs on a host, run here by a real shell (the fleet tests run them
over SSH): the backup's digest is the sandbox's orders checksum line for line, a changed restore is caught, log
rotation keeps N archives that read back, df and openssl output are read right."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import subprocess
from pathlib import Path

import pytest

from opsready.errors import HostError
from opsready.hosts import dbbackup, upkeep
from opsready.hosts.connection import RemoteResult
from opsready.hosts.maintenance_options import CertificateFile, DatabaseMaintenance, DataDigestSpec
from opsready.sandbox.backup import digest_rows
from tests.fleet.maint import issue_certificate


def local_step(what: str, command: str, timeout: float) -> RemoteResult:
    """A step run by this machine's shell (exit status and output as a host's)."""
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise HostError(f"{what} failed (exit {done.returncode}): {done.stderr.strip()}", "here")
    return RemoteResult("here", command, done.returncode, done.stdout, done.stderr)


def orders_db(path: Path, rows: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT, quantity INTEGER)")
    conn.executemany("INSERT INTO orders (item, quantity) VALUES (?, ?)", [(f"i{n}", n % 5) for n in range(rows)])
    conn.close()


def settings(tmp_path: Path) -> DatabaseMaintenance:
    spec = DataDigestSpec("orders", "id", ("id", "item", "quantity"))
    return DatabaseMaintenance(
        "sqlite", str(tmp_path / "live.sqlite"), "/usr/bin/python3", str(tmp_path / "b"), spec, 30
    )


def test_backup_digest_is_the_orders_checksum_and_a_restore_matches_it(tmp_path: Path) -> None:
    """Count, last id and checksum equal the sandbox's digest of the same rows; the restore matches; scratch gone."""
    db = settings(tmp_path)
    orders_db(Path(db.path), 250)
    taken = dbbackup.take_backup(local_step, db, db.backups, "T1", "now")
    with sqlite3.connect(db.path) as conn:
        expected = digest_rows(conn.execute("SELECT id, item, quantity FROM orders ORDER BY id"))
    assert taken.digest == expected and taken.digest.orders == 250 and taken.digest.last_id == 250
    assert Path(f"{taken.path}.json").is_file() and taken.size_bytes == taken.path.stat().st_size
    check = dbbackup.verify_restore(local_step, db, taken, "T2", "here")
    assert check.ok and check.scratch_removed, check
    assert sorted(p.name for p in Path(db.backups).iterdir()) == [taken.path.name, taken.path.name + ".json"]


def test_a_restore_that_differs_from_what_the_backup_promised_is_not_ok(tmp_path: Path) -> None:
    """One quantity changed in the backup file after it was taken: same count and last id, another checksum."""
    db = settings(tmp_path)
    orders_db(Path(db.path), 50)
    taken = dbbackup.take_backup(local_step, db, db.backups, "T1", "now")
    with sqlite3.connect(taken.path) as conn:
        conn.execute("UPDATE orders SET quantity = quantity + 1 WHERE id = 7")
    check = dbbackup.verify_restore(local_step, db, taken, "T2", "here")
    assert not check.ok and check.scratch_removed
    assert check.restored.orders == check.expected.orders and check.restored.checksum != check.expected.checksum


def test_a_missing_database_is_one_clear_error_naming_the_step(tmp_path: Path) -> None:
    """No file at the configured path: the step says so (the python traceback stays on the host)."""
    db = settings(tmp_path)
    with pytest.raises(HostError, match=r"backing up the database failed \(exit 1\): no database file at /"):
        dbbackup.take_backup(local_step, db, db.backups, "T1", "now")


def test_log_rotation_keeps_n_archives_each_reading_back(tmp_path: Path) -> None:
    """Three rotations keeping two: two archives per log remain, the oldest removed, each log emptied in place."""
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    made = []
    for n, stamp in enumerate(("20260101T000001Z", "20260101T000002Z", "20260101T000003Z")):
        for log in logs:
            log.write_text(f"line {n}\n" * 100, encoding="utf-8")
        rotated, removed = upkeep.rotate_logs(
            local_step, "here", (str(tmp_path / "*.log"),), keep=2, stamp=stamp, timeout=10
        )
        made.append(rotated)
        assert all(r.reads_back for r in rotated) and len(rotated) == 2
        assert len(removed) == (2 if n == 2 else 0)
    kept = [f"{log}.20260101T00000{n}Z.gz" for log in ("a.log", "b.log") for n in (2, 3)]
    assert sorted(p.name for p in tmp_path.glob("*.gz")) == kept
    assert all(log.stat().st_size == 0 for log in logs)
    assert made[-1][0].name == f"here:{logs[0]}" and made[-1][0].size_bytes > 0


def test_disk_usage_reads_df_and_the_targets_own_bytes(tmp_path: Path) -> None:
    """The filesystem of each path once, with df's figures; the own files' bytes by du."""
    (tmp_path / "data.bin").write_bytes(b"x" * 100_000)
    found = upkeep.disk_usage(local_step, "here", (str(tmp_path), str(tmp_path)), (str(tmp_path / "*.bin"),), 10)
    assert len(found) == 1
    usage = found[0]
    assert usage.total_bytes > usage.free_bytes > 0 and usage.where == f"here:{usage.path}"
    assert usage.target_bytes == ((f"here:{tmp_path / 'data.bin'}", 100_000),)


def test_a_certificate_file_is_read_with_its_expiry_and_verification(tmp_path: Path) -> None:
    """Ten days left by the clock, verifies for its name against its CA, not for another name."""
    pem, ca = issue_certificate(tmp_path / "pki", 10)
    (tmp_path / "cert.pem").write_text(pem, encoding="utf-8")
    (tmp_path / "ca.pem").write_text(ca, encoding="utf-8")
    spec = CertificateFile("app", str(tmp_path / "cert.pem"), "orders.fleet.test", str(tmp_path / "ca.pem"))
    cert = upkeep.certificate(local_step, "here", spec, 10)
    assert cert.verified and 9.9 < cert.days_left <= 10.0, cert
    assert "CN=orders.fleet.test" in cert.subject and cert.serial
    assert dt.datetime.fromisoformat(cert.not_after) > dt.datetime.now(dt.UTC)
    other = upkeep.certificate(local_step, "here", dataclasses.replace(spec, name="other.test"), 10)
    assert not other.verified


def test_housekeeping_vacuums_and_checks_integrity_keeping_every_row(tmp_path: Path) -> None:
    """Half the rows deleted: VACUUM gives the space back (smaller file), integrity ok, the rest kept."""
    db = settings(tmp_path)
    orders_db(Path(db.path), 5000)
    with sqlite3.connect(db.path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("DELETE FROM orders WHERE id % 2 = 0")
    with sqlite3.connect(db.path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before, after, integrity, _ = dbbackup.housekeeping(local_step, db)
    assert integrity == "ok" and after < before, (before, after)
    with sqlite3.connect(db.path) as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone() == (2500,)
