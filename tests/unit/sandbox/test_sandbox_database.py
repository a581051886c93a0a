"""The sandbox database: choosing the engine (PostgreSQL when installed, SQLite otherwise), and its private files."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from opsready.errors import EnvironmentProblem
from opsready.sandbox.database import (
    PG_USER,
    admin_url,
    app_url,
    choose_engine,
    find_postgres,
    new_password,
    passfile,
    prepare_sqlite,
)
from opsready.sandbox.layout import Layout, Ports
from opsready.sandbox.service.migrate import migrate
from opsready.sandbox.service.releases import RELEASES_DIR


def test_missing_postgres_falls_back_to_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no server binaries where we look, 'auto' means SQLite."""
    monkeypatch.setenv("OPSREADY_PG_BINDIR", str(tmp_path))
    assert find_postgres() is None
    assert choose_engine("auto", None) == "sqlite"


def test_missing_postgres_is_a_clear_error_when_required(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """'database: postgresql' without a server says what to install, exit code 2."""
    monkeypatch.setenv("OPSREADY_PG_BINDIR", str(tmp_path))
    with pytest.raises(EnvironmentProblem) as info:
        choose_engine("postgresql", None)
    assert "PostgreSQL server binaries (initdb, postgres) were not found" in info.value.message
    assert "apt-get install postgresql" in (info.value.hint or "")
    assert info.value.exit_code == 2


def test_a_sandbox_keeps_the_engine_it_was_created_with() -> None:
    """Once created on SQLite, a sandbox stays on SQLite (its data is there)."""
    assert choose_engine("auto", "sqlite") == "sqlite"
    assert choose_engine("sqlite", "postgresql") == "postgresql"


def test_the_sqlite_file_is_private(tmp_path: Path) -> None:
    """The SQLite database and its -wal/-shm files are readable by their owner only (mode 0600)."""
    layout = Layout(tmp_path / "state")
    prepare_sqlite(layout)
    migrate(app_url(layout, Ports(), "sqlite"), RELEASES_DIR / "1.0.0")
    db = sqlite3.connect(layout.sqlite_db)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("CREATE TABLE written (x)")
        files = sorted(layout.sqlite_db.parent.iterdir())
        assert layout.sqlite_db in files
        assert {path.name: stat.S_IMODE(path.stat().st_mode) for path in files} == dict.fromkeys(
            (path.name for path in files), 0o600
        )
    finally:
        db.close()


def test_the_password_file_is_private(tmp_path: Path) -> None:
    """The password file is created 0600 even under a permissive umask, and holds one libpq line."""
    layout = Layout(tmp_path / "state")
    old = os.umask(0)
    try:
        password = new_password(layout)
    finally:
        os.umask(old)
    path = passfile(layout)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == f"*:*:*:{PG_USER}:{password}\n"
    assert "passfile=" in admin_url(layout, Ports()) and password not in admin_url(layout, Ports())
