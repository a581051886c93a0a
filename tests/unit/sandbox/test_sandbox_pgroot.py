"""Outside PostgreSQL data directories: only ours, only when their state directory is gone, only when idle."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from opsready.sandbox import pgroot
from opsready.sandbox.layout import outside_pg_root


def _made(parent: Path, owner: Path, *, marker: object = None, name: str | None = None) -> Path:
    """A data directory in ``parent`` named for ``owner``, with the given marker content (ours when None)."""
    root = parent / (name or outside_pg_root(owner).name)
    (root / "data").mkdir(parents=True)
    (root / "data" / "PG_VERSION").write_text("15\n")
    content = pgroot.Owner(owner, "f" * 32).to_json() if marker is None else marker
    if content != "absent":
        (root / pgroot.MARKER).write_text(json.dumps(content))
    return root


@pytest.fixture
def parent(tmp_path: Path) -> Path:
    """Where the data directories are made (stands for /var/tmp)."""
    folder = tmp_path / "var-tmp"
    folder.mkdir()
    return folder


def test_an_orphan_of_ours_is_removed(parent: Path, tmp_path: Path) -> None:
    """Marked, named for its state directory, which no longer exists: removed."""
    orphan = _made(parent, tmp_path / "gone" / "state")
    assert pgroot.remove_orphans(parent) == [orphan]
    assert not orphan.exists()


def test_a_directory_whose_owner_exists_is_kept(parent: Path, tmp_path: Path) -> None:
    """The state directory still exists: the data is its, even when the sandbox is down."""
    state = tmp_path / "state"
    state.mkdir()
    kept = _made(parent, state)
    assert pgroot.remove_orphans(parent) == []
    assert kept.exists()


@pytest.mark.parametrize(
    "marker",
    ["absent", {"state_dir": "/nowhere/state", "identity": "x"}, {"kind": "opsready-pg-root"}, ["a"], "not json"],
)
def test_a_directory_without_our_marker_is_left_alone(parent: Path, marker: object) -> None:
    """No marker, or one that is not ours or incomplete: never judged, never removed."""
    root = _made(parent, Path("/nowhere/state"), marker=marker)
    if marker == "not json":
        (root / pgroot.MARKER).write_text("{not json")
    assert pgroot.remove_orphans(parent) == []
    assert root.exists()


def test_a_marker_copied_under_another_name_is_left_alone(parent: Path) -> None:
    """The directory's name must be the one its owner's path gives."""
    root = _made(parent, Path("/nowhere/state"), name="opsready-pg-000000000000")
    assert pgroot.remove_orphans(parent) == []
    assert root.exists()


def test_a_directory_a_server_still_runs_in_is_kept(parent: Path) -> None:
    """An orphan whose postmaster.pid names a live process of that data directory is not pulled from under it."""
    root = _made(parent, Path("/nowhere/state"))
    data = root / "data"
    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", str(data)])
    try:
        (data / "postmaster.pid").write_text(f"{server.pid}\n{data}\n")
        assert pgroot.remove_orphans(parent) == []
        assert root.exists()
    finally:
        server.kill()
        server.wait(5)
    assert pgroot.remove_orphans(parent) == [root]
