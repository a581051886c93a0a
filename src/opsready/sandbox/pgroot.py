"""PostgreSQL's data outside the state directory: who owns it, and removing it once its owner is gone.

As root the server runs as the ``postgres`` user, which cannot enter a state directory below a private directory
(a home directory, pytest's tmp): the data then lives in ``/var/tmp/opsready-pg-<hash of the state dir>`` (see
:func:`opsready.sandbox.layout.outside_pg_root`). Such a directory carries a marker naming the state directory that
owns it and an identity that the state directory records too. ``sandbox up`` and ``down`` remove the directories
whose owner no longer exists; a directory without a valid marker, whose owner still exists, whose name is not the
one its owner's path gives, or in which a server still runs, is never touched.
"""

from __future__ import annotations

import json
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil

from opsready.sandbox.layout import OUTSIDE_PG_PARENT, OUTSIDE_PG_PREFIX, Layout, outside_pg_root

MARKER = "opsready-owner.json"
OWNED_FILE = "pg-root.json"  # in the state directory: where its data lives, and the identity the marker carries
_KIND = "opsready-pg-root"


@dataclass(frozen=True)
class Owner:
    """The state directory that owns an outside data directory, and the identity both record."""

    state_dir: Path
    identity: str

    def to_json(self) -> dict[str, str]:
        """The marker's content."""
        return {
            "kind": _KIND,
            "state_dir": str(self.state_dir),
            "identity": self.identity,
            "created": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        }


def read_marker(root: Path) -> Owner | None:
    """The owner a data directory's marker names, or None when the marker is missing or not ours."""
    try:
        data = json.loads((root / MARKER).read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("kind") != _KIND:
        return None
    state, identity = data.get("state_dir"), data.get("identity")
    if not isinstance(state, str) or not isinstance(identity, str) or not identity or not Path(state).is_absolute():
        return None
    return Owner(Path(state), identity)


def _recorded_identity(layout: Layout) -> str | None:
    try:
        data = json.loads((layout.state / OWNED_FILE).read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    identity = data.get("identity") if isinstance(data, dict) else None
    return identity if isinstance(identity, str) and identity else None


def _server_running(root: Path) -> bool:
    """Whether the postmaster.pid of the data directory names a live server of that very directory."""
    data = root / "data"
    try:
        pid = int((data / "postmaster.pid").read_text().splitlines()[0])
        return str(data) in " ".join(psutil.Process(pid).cmdline())
    except (OSError, ValueError, IndexError, psutil.Error):
        return False


def claim(layout: Layout) -> None:
    """Mark the outside data directory of this sandbox as its own before it is used (nothing to do inside).

    A directory at our path whose marker carries another identity was left by an earlier state directory of the
    same path (deleted and made again): its owner is gone, so it is removed and a fresh one made. One without a
    marker, made before markers existed, is adopted (its name is our path's)."""
    root = layout.pg_root
    if root.is_relative_to(layout.state):
        return
    state = layout.state.resolve()
    identity = _recorded_identity(layout)
    marker = read_marker(root)
    if marker is not None and (marker.state_dir != state or marker.identity != identity):
        if marker.state_dir == state and not _server_running(root):
            shutil.rmtree(root, ignore_errors=True)
        marker = None
    if marker is not None:
        return
    owner = Owner(state, identity or secrets.token_hex(16))
    layout.state.mkdir(parents=True, exist_ok=True)
    (layout.state / OWNED_FILE).write_text(json.dumps({"root": str(root), "identity": owner.identity}) + "\n")
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text(json.dumps(owner.to_json(), indent=2) + "\n")


def orphans(parent: Path = OUTSIDE_PG_PARENT) -> list[Path]:
    """Outside data directories whose owning state directory no longer exists (and no server runs in them)."""
    found = []
    for root in sorted(parent.glob(f"{OUTSIDE_PG_PREFIX}*")):
        if root.is_symlink() or not root.is_dir():
            continue
        owner = read_marker(root)
        if owner is None or owner.state_dir.exists():
            continue
        if outside_pg_root(owner.state_dir).name != root.name:  # a marker copied elsewhere names someone else
            continue
        if _server_running(root):
            continue
        found.append(root)
    return found


def remove_orphans(parent: Path = OUTSIDE_PG_PARENT) -> list[Path]:
    """Remove every orphaned outside data directory; returns those removed."""
    removed = []
    for root in orphans(parent):
        shutil.rmtree(root, ignore_errors=True)
        if not root.exists():
            removed.append(root)
    return removed
