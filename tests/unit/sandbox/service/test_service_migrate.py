"""Migrations: applied once, in order, in one transaction each, on PostgreSQL and SQLite alike."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from opsready.errors import DeployError, ValidationError
from opsready.sandbox.service.db import connect
from opsready.sandbox.service.migrate import (
    apply_migrations,
    find_migrations,
    migrate,
    schema_version,
    split_statements,
)
from opsready.sandbox.service.releases import RELEASES_DIR


def test_empty_database_has_schema_zero(db_url: str) -> None:
    """Nothing migrated yet: version 0, not an error."""
    assert schema_version(db_url) == 0


def test_migrate_is_idempotent(db_url: str) -> None:
    """A second run applies nothing and reports the same version."""
    assert apply_migrations(db_url, release_dir("1.0.0")) == (1, find_migrations(release_dir("1.0.0"), _kind(db_url)))
    assert apply_migrations(db_url, release_dir("1.0.0")) == (1, ())
    assert schema_version(db_url) == 1


def test_expand_migration_then_older_release_keeps_the_newer_schema(db_url: str) -> None:
    """1.2.0 brings schema 2; migrating for 1.1.0 afterwards (a rollback) changes nothing."""
    assert migrate(db_url, release_dir("1.1.0")) == 1
    _, applied = apply_migrations(db_url, release_dir("1.2.0"))
    assert [(m.version, m.name) for m in applied] == [(2, "order_priority")]
    assert migrate(db_url, release_dir("1.1.0")) == 2
    db = connect(db_url)
    try:
        rows = db.query("SELECT version, name FROM schema_migrations ORDER BY version")
    finally:
        db.close()
    assert [tuple(row) for row in rows] == [(1, "orders"), (2, "order_priority")]


def test_a_failing_migration_leaves_nothing_behind(db_url: str, tmp_path: Path) -> None:
    """A migration is all or nothing: its table is gone and its version unrecorded after a failure."""
    folder = tmp_path / "9.9.9"
    shutil.copytree(release_dir("1.0.0"), folder)
    (folder / "migrations" / "002_broken.sql").write_text(
        "CREATE TABLE half_done (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n"
    )
    with pytest.raises(DeployError, match="migration 002_broken failed"):
        migrate(db_url, folder)
    assert schema_version(db_url) == 1
    db = connect(db_url)
    try:
        assert not db.table_exists("half_done")
        assert db.table_exists("orders")
    finally:
        db.close()


def test_migrate_against_an_unreachable_database_is_a_deploy_error(tmp_path: Path) -> None:
    """No database, no migration: a clear DeployError, not a driver traceback."""
    with pytest.raises(DeployError, match="cannot migrate: database unavailable"):
        migrate(f"sqlite:///{tmp_path}/missing/orders.db", release_dir("1.0.0"))


def test_sqlite_uses_its_variant_and_postgresql_the_portable_file() -> None:
    """001 has a SQLite variant; 002 is portable and shared."""
    names = {
        kind: [m.path.name for m in find_migrations(release_dir("1.2.0"), kind)] for kind in ("sqlite", "postgresql")
    }
    assert names == {
        "sqlite": ["001_orders.sqlite.sql", "002_order_priority.sql"],
        "postgresql": ["001_orders.sql", "002_order_priority.sql"],
    }


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (["001_a.sql", "003_b.sql"], "without gaps"),
        (["001_a.sql", "1_b.sql"], "bad migration file name"),
        (["001_a.sql", "001_b.sql"], "two migrations numbered 001"),
        (["001_a.sqlite.sql"], "needs a portable '001_a.sql'"),
    ],
)
def test_find_migrations_rejects_bad_sets(tmp_path: Path, files: list[str], message: str) -> None:
    """Misnamed, duplicated or missing migration files are caught before anything runs."""
    (tmp_path / "migrations").mkdir()
    for name in files:
        (tmp_path / "migrations" / name).write_text("SELECT 1;")
    with pytest.raises(ValidationError, match=message):
        find_migrations(tmp_path)


def test_split_statements_drops_comments_and_blank_statements() -> None:
    """Statements end at ';'; comment lines vanish."""
    sql = "-- a comment; with a semicolon\nCREATE TABLE a (x INTEGER);\n\nCREATE INDEX i ON a (x);\n;\n"
    assert split_statements(sql) == ["CREATE TABLE a (x INTEGER)", "CREATE INDEX i ON a (x)"]


def test_command_line_applies_and_reports(db_url: str) -> None:
    """``python -m opsready.sandbox.service.migrate`` prints what it applied, then that nothing was left."""
    command = [sys.executable, "-m", "opsready.sandbox.service.migrate", "--release-dir", str(release_dir("1.2.0"))]
    env = {**os.environ, "OPSREADY_DB_URL": db_url}
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert (first.returncode, first.stdout) == (0, "schema version 2 (001_orders, 002_order_priority)\n")
    second = subprocess.run([*command, "--db-url", db_url], capture_output=True, text=True, timeout=60, check=False)
    assert (second.returncode, second.stdout) == (0, "schema version 2 (nothing to apply)\n")


def test_command_line_without_database_url_is_a_usage_error() -> None:
    """Exit code 2 and a one-line message."""
    env = {k: v for k, v in os.environ.items() if k != "OPSREADY_DB_URL"}
    command = [sys.executable, "-m", "opsready.sandbox.service.migrate", "--release-dir", str(release_dir("1.0.0"))]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "no database URL" in result.stderr
    assert "Traceback" not in result.stderr


def release_dir(version: str) -> Path:
    return RELEASES_DIR / version


def _kind(db_url: str) -> str:
    return "sqlite" if db_url.startswith("sqlite") else "postgresql"
