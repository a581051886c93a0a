"""Backups of the database on a hosts target's database host, and restores into a scratch database that prove them,
all run on that host over SSH.

SQLite, through the host's own ``python3`` (standard library only): the online backup API, read through a
connection that holds one read transaction, so the digest it computes in that transaction describes exactly what
the backup holds even while the service keeps writing. The restore copies the backup into a scratch file beside
the backups with the same API, checks its integrity, takes the same digest and removes the scratch (and its
``-wal``/``-shm``) on every outcome, saying whether it is gone. The digest is SHA-256 over the configured columns,
tab-separated, one row a line in key order (for ``id, item, quantity`` the sandbox's orders checksum, line for line).
Each run is one remote command under the database's ``timeout``.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import Path

from opsready.errors import HostError
from opsready.hosts.connection import RemoteResult
from opsready.hosts.maintenance_options import DatabaseMaintenance
from opsready.targets.maintenance import Backup, DataDigest, RestoreCheck

# what a step runs: (what, command, timeout) -> the result of a command that exited 0 (else a HostError)
Step = Callable[[str, str, float], RemoteResult]

_COMMON = r"""
import hashlib, json, os, sqlite3, sys, time
def digest(conn, table, key, columns):
    cols = ", ".join('"%s"' % c for c in columns)
    rows = conn.execute('SELECT "%s", %s FROM "%s" ORDER BY "%s"' % (key, cols, table, key))
    h, count, last = hashlib.sha256(), 0, None
    for row in rows:
        h.update(("\t".join(str(v) for v in row[1:]) + "\n").encode())
        count, last = count + 1, row[0]
    return {"orders": count, "last_id": last if isinstance(last, int) else None, "checksum": h.hexdigest()}
"""

BACKUP_SCRIPT = (
    _COMMON
    + r"""
db, folder, stamp, table, key, columns = sys.argv[1:6] + [sys.argv[6].split(",")]
start = time.monotonic()
if not os.path.isfile(db):
    sys.exit("no database file at %s" % db)
os.makedirs(folder, mode=0o700, exist_ok=True)
name = "%s-%s.sqlite" % (os.path.splitext(os.path.basename(db))[0], stamp)
path, partial = os.path.join(folder, name), os.path.join(folder, "." + name + ".partial")
src = sqlite3.connect(db, timeout=10, isolation_level=None)
try:
    src.execute("BEGIN")  # one read transaction: the digest and the copy see the same snapshot
    found = digest(src, table, key, columns)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file: no -wal/-shm beside the backup
    finally:
        dst.close()
    src.execute("COMMIT")
finally:
    src.close()
os.replace(partial, path)
found.update(path=path, size=os.path.getsize(path), seconds=time.monotonic() - start)
with open(path + ".json", "w") as manifest:
    json.dump(found, manifest, indent=2)
print(json.dumps(found))
"""
)

RESTORE_SCRIPT = (
    _COMMON
    + r"""
backup, folder, stamp, table, key, columns = sys.argv[1:6] + [sys.argv[6].split(",")]
start = time.monotonic()
if not os.path.isfile(backup):
    sys.exit("no backup file at %s" % backup)
scratch = os.path.join(folder, ".restore-%s-%d.sqlite" % (stamp, os.getpid()))
out = {"scratch": scratch}
try:
    src = sqlite3.connect("file:%s?mode=ro" % backup, uri=True)
    dst = sqlite3.connect(scratch)
    try:
        src.backup(dst)
        out["integrity"] = dst.execute("PRAGMA integrity_check").fetchone()[0]
        out.update(digest(dst, table, key, columns))
    finally:
        src.close()
        dst.close()
finally:
    for leftover in (scratch, scratch + "-wal", scratch + "-shm", scratch + "-journal"):
        try:
            os.unlink(leftover)
        except FileNotFoundError:
            pass
    out["removed"] = not any(os.path.exists(p) for p in (scratch, scratch + "-wal", scratch + "-shm"))
    out["seconds"] = time.monotonic() - start
    print(json.dumps(out))
"""
)

HOUSEKEEPING_SCRIPT = r"""
import json, os, sqlite3, sys, time
db = sys.argv[1]
if not os.path.isfile(db):
    sys.exit("no database file at %s" % db)
start, before = time.monotonic(), os.path.getsize(db)
conn = sqlite3.connect(db, timeout=30, isolation_level=None)
try:
    conn.execute("VACUUM")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # in WAL mode the file shrinks only once checkpointed
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
finally:
    conn.close()
print(json.dumps({"before": before, "after": os.path.getsize(db), "integrity": integrity,
                  "seconds": time.monotonic() - start}))
"""


def _python(db: DatabaseMaintenance, script: str, *args: str) -> str:
    return shlex.join([db.python, "-c", script, *args])


def _json(result: RemoteResult, what: str) -> dict[str, object]:
    try:
        data = json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise HostError(f"{what}: unreadable answer {result.stdout.strip()[:120]!r}", result.host) from None
    if not isinstance(data, dict):
        raise HostError(f"{what}: unreadable answer {result.stdout.strip()[:120]!r}", result.host)
    return data


def _digest(data: dict[str, object]) -> DataDigest:
    last = data.get("last_id")
    return DataDigest(int(str(data["orders"])), last if isinstance(last, int) else None, str(data["checksum"]))


def _spec_args(db: DatabaseMaintenance) -> tuple[str, str, str]:
    spec = db.digest
    return spec.table, spec.key, ",".join(spec.columns)


def take_backup(step: Step, db: DatabaseMaintenance, folder: str, stamp: str, taken_at: str) -> Backup:
    """An online backup on the database host, with the digest of exactly what it holds."""
    what = "backing up the database"
    result = step(what, _python(db, BACKUP_SCRIPT, db.path, folder, stamp, *_spec_args(db)), db.timeout)
    data = _json(result, what)
    return Backup(
        path=Path(str(data["path"])),
        engine=db.engine,
        tool=f"sqlite3 online backup API on {result.host}",
        size_bytes=int(str(data["size"])),
        seconds=float(str(data["seconds"])),
        digest=_digest(data),
        taken_at=taken_at,
    )


def verify_restore(step: Step, db: DatabaseMaintenance, backup: Backup, stamp: str, host: str) -> RestoreCheck:
    """Restore ``backup`` into a scratch file on the database host, digest it, remove the scratch."""
    what = f"restoring {backup.path.name} into a scratch database"
    folder = str(backup.path.parent)
    result = step(what, _python(db, RESTORE_SCRIPT, str(backup.path), folder, stamp, *_spec_args(db)), db.timeout)
    data = _json(result, what)
    scratch = f"sqlite file {host}:{data['scratch']}"
    if data.get("integrity") != "ok":
        raise HostError(f"{what}: the restored database fails its integrity check ({data.get('integrity')})", host)
    return RestoreCheck(
        backup.path, scratch, backup.digest, _digest(data), float(str(data["seconds"])), bool(data["removed"])
    )


def housekeeping(step: Step, db: DatabaseMaintenance) -> tuple[int, int, str, float]:
    """VACUUM and ANALYZE on the host, then an integrity check: (size before, size after, integrity, seconds)."""
    what = "database housekeeping"
    data = _json(step(what, _python(db, HOUSEKEEPING_SCRIPT, db.path), db.timeout), what)
    return int(str(data["before"])), int(str(data["after"])), str(data["integrity"]), float(str(data["seconds"]))
