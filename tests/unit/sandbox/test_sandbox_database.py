"""Choosing the database engine: PostgreSQL when installed, SQLite otherwise, and a clear error when it must be PG."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.errors import EnvironmentProblem
from opsready.sandbox.database import choose_engine, find_postgres


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
