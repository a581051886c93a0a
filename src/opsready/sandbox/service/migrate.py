"""Schema migrations of the orders database: numbered SQL files shipped in each release, each applied once.

A release ships every migration up to the schema it needs as ``migrations/NNN_name.sql`` (portable SQL), with an
optional ``NNN_name.sqlite.sql`` variant that SQLite uses instead. Applied migrations are recorded in
``schema_migrations``; each runs in its own transaction under a lock, so running ``migrate`` twice (or two at once)
applies nothing twice. Migrations are expand-only: an older release must keep working on a newer schema.

Run it by hand with ``python -m opsready.sandbox.service.migrate --db-url URL --release-dir DIR``.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from opsready.errors import DeployError, OpsreadyError, UsageError
from opsready.sandbox.service.db import STATEMENT_TIMEOUT, DatabaseError, Db, connect, parse_db_url
from opsready.sandbox.service.migrations import Migration, find_migrations

MIGRATION_TIMEOUT = 60.0
_SCHEMA_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations "
    "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
)


def split_statements(sql: str) -> list[str]:
    """The statements of a migration file (``--`` comments dropped; a ``;`` ends a statement, so none in literals)."""
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [stmt.strip() for stmt in "\n".join(lines).split(";") if stmt.strip()]


def current_version(db: Db, *, timeout: float = STATEMENT_TIMEOUT) -> int:
    """The highest applied migration on an open connection (0 for an empty database)."""
    if not db.table_exists("schema_migrations", timeout=timeout):
        return 0
    value = db.query("SELECT MAX(version) FROM schema_migrations", timeout=timeout)[0][0]
    return int(value or 0)


def schema_version(db_url: str) -> int:
    """The schema version of the database at ``db_url`` (0 when nothing was ever migrated)."""
    db = connect(db_url, app_name="opsready-migrate")
    try:
        return current_version(db)
    finally:
        db.close()


def _apply(db: Db, migration: Migration) -> bool:
    statements = split_statements(migration.path.read_text(encoding="utf-8"))
    with db.transaction(exclusive=True):
        if db.kind == "postgresql":
            db.execute(f"SET LOCAL statement_timeout = '{int(MIGRATION_TIMEOUT)}s'")
            db.execute("LOCK TABLE schema_migrations IN EXCLUSIVE MODE", timeout=MIGRATION_TIMEOUT)
        if db.query("SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,)):
            return False  # another migrate run got here first
        for statement in statements:
            db.execute(statement, timeout=MIGRATION_TIMEOUT)
        applied_at = datetime.now(tz=UTC).isoformat(timespec="seconds")
        db.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            (migration.version, migration.name, applied_at),
        )
    return True


def apply_migrations(db_url: str, release_dir: Path) -> tuple[int, tuple[Migration, ...]]:
    """Apply the release's pending migrations; the resulting schema version and the migrations applied now."""
    kind = parse_db_url(db_url).kind
    migrations = find_migrations(release_dir, kind)
    try:
        db = connect(db_url, app_name="opsready-migrate")
    except DatabaseError as exc:
        raise DeployError(f"cannot migrate: {exc}") from exc
    applied: list[Migration] = []
    current: Migration | None = None
    try:
        if kind == "sqlite":
            db.query("PRAGMA journal_mode = WAL")  # readers never block the writer; persists in the file
        db.execute(_SCHEMA_TABLE)
        for current in migrations:
            if _apply(db, current):
                applied.append(current)
        return current_version(db), tuple(applied)
    except DatabaseError as exc:
        where = f"migration {current.version:03d}_{current.name}" if current else "migration"
        raise DeployError(f"{where} failed: {exc}") from exc
    finally:
        db.close()


def migrate(db_url: str, release_dir: Path) -> int:
    """Apply the release's migrations not yet applied, each in one transaction; return the resulting schema version."""
    return apply_migrations(db_url, release_dir)[0]


def main(argv: list[str] | None = None) -> int:
    """Command line: apply a release directory's migrations and print the resulting schema version."""
    parser = argparse.ArgumentParser(prog="python -m opsready.sandbox.service.migrate", description=main.__doc__)
    parser.add_argument("--db-url", default=os.environ.get("OPSREADY_DB_URL"), help="default: $OPSREADY_DB_URL")
    parser.add_argument("--release-dir", required=True, type=Path, help="a release directory (with migrations/)")
    args = parser.parse_args(argv)
    try:
        if not args.db_url:
            raise UsageError("no database URL: pass --db-url or set OPSREADY_DB_URL")
        version, applied = apply_migrations(args.db_url, args.release_dir)
    except OpsreadyError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    names = ", ".join(f"{m.version:03d}_{m.name}" for m in applied) or "nothing to apply"
    print(f"schema version {version} ({names})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
