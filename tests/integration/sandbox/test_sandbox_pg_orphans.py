"""PostgreSQL data kept outside the state directory never outlives it.

As root, a state directory below a directory others cannot enter (pytest's tmp is one) puts PostgreSQL's data in
``/var/tmp/opsready-pg-<hash>``: ``down --purge`` removes it, and once its state directory is deleted behind the
sandbox's back, the next ``up`` of any sandbox removes it; a directory without our marker is left alone.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
from pathlib import Path

import pytest

from opsready.sandbox import database, pgroot
from opsready.sandbox.layout import OUTSIDE_PG_PARENT, OUTSIDE_PG_PREFIX, outside_pg_root
from opsready.sandbox.manager import Sandbox, SandboxOptions

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(os.geteuid() != 0, reason="data goes outside the state directory only when run as root"),
    pytest.mark.skipif(database.find_postgres() is None, reason="PostgreSQL is not installed"),
]


def _private_state(tmp_path: Path, name: str) -> Path:
    parent = tmp_path / f"{name}-private"
    parent.mkdir()
    parent.chmod(0o700)  # the postgres user cannot enter: the data must go outside
    return parent / "state"


def test_an_orphan_is_removed_by_the_next_up_and_a_stranger_is_left_alone(tmp_path: Path) -> None:
    """Up, down, delete the state directory: the data stays until another sandbox's up removes it; a directory
    of that name pattern without our marker, and a marked one whose owner exists, survive."""
    state = _private_state(tmp_path, "first")
    first = Sandbox(SandboxOptions(state_dir=state, ports="auto"))
    root = first.layout.pg_root
    assert root.parent == OUTSIDE_PG_PARENT and root == outside_pg_root(state.resolve())
    stranger = OUTSIDE_PG_PARENT / f"{OUTSIDE_PG_PREFIX}test-stranger-{secrets.token_hex(4)}"
    owned_elsewhere = outside_pg_root(tmp_path.resolve())  # marked, and its owner (tmp_path) exists
    second = Sandbox(SandboxOptions(state_dir=tmp_path / "second", ports="auto", database="sqlite"))
    try:
        first.up()
        marker = pgroot.read_marker(root)
        assert marker is not None and marker.state_dir == state.resolve()
        first.down()
        assert (root / "data" / "PG_VERSION").exists()  # down alone keeps the data: the sandbox may come back
        shutil.rmtree(state)  # behind its back, as a removed checkout or pytest's tmp cleanup does
        stranger.mkdir()
        (stranger / "keep").write_text("not opsready's\n")
        owned_elsewhere.mkdir()
        (owned_elsewhere / pgroot.MARKER).write_text(
            (root / pgroot.MARKER).read_text().replace(str(state.resolve()), str(tmp_path.resolve()))
        )
        assert pgroot.read_marker(owned_elsewhere) == pgroot.Owner(tmp_path.resolve(), marker.identity)
        said: list[str] = []
        second.up(said.append)
        assert not root.exists()
        assert any(str(root) in line for line in said), said
        assert (stranger / "keep").read_text() == "not opsready's\n"
        assert owned_elsewhere.exists()
    finally:
        second.down(purge=True)
        first.down(purge=True)
        shutil.rmtree(stranger, ignore_errors=True)
        shutil.rmtree(owned_elsewhere, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)


def test_down_purge_removes_the_outside_data(tmp_path: Path) -> None:
    """``down --purge`` takes the data outside with the state directory; the data directory was marked ours and
    only the server user may enter it."""
    sandbox = Sandbox(SandboxOptions(state_dir=_private_state(tmp_path, "purged"), ports="auto"))
    root = sandbox.layout.pg_root
    try:
        sandbox.up()
        assert root.parent == OUTSIDE_PG_PARENT
        assert stat.S_IMODE(root.stat().st_mode) == 0o700
        assert pgroot.read_marker(root) is not None
    finally:
        sandbox.down(purge=True)
    assert not root.exists()
    assert not sandbox.layout.state.exists()
