"""A connection's private directory names its owner; directories of owners that died without closing them (a
SIGKILLed watchdog or harness) are swept by the next connection, and no other directory is touched."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from opsready.hosts import connection
from opsready.processes import ProcessIdentity


@pytest.fixture
def tmp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def made(root: Path, name: str, owner: str | None) -> Path:
    directory = root / f"{connection.DIR_PREFIX}{name}"
    directory.mkdir()
    if owner is not None:
        (directory / connection.OWNER).write_text(owner, encoding="utf-8")
    return directory


def test_only_directories_of_dead_owners_are_swept(tmp_root: Path) -> None:
    """Dead owner: removed; live owner (this process), a reused pid with another start time, no owner file: the
    first two are told apart by start time, the last is left alone."""
    me = ProcessIdentity.of(os.getpid())
    assert me is not None
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = made(tmp_root, "dead", f"{gone.pid} 1.0\n")
    reused = made(tmp_root, "reused", f"{os.getpid()} {me.started + 1!r}\n")
    live = made(tmp_root, "live", f"{os.getpid()} {me.started!r}\n")
    unknown = made(tmp_root, "unknown", None)
    other = tmp_root / "something-else"
    other.mkdir()
    assert sorted(connection.sweep_orphan_dirs()) == sorted([dead, reused])
    assert live.is_dir() and unknown.is_dir() and other.is_dir()
