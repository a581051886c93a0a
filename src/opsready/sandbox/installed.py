"""Releases installed in a sandbox's state directory: copy and migrate, the ``current`` link, the history file.

Both starting a sandbox (:mod:`opsready.sandbox.manager`) and deploying to a running one
(:mod:`opsready.sandbox.rollout`) install releases; this module needs neither of them, only the layout.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime

from opsready.errors import DeployError, UsageError
from opsready.sandbox.layout import Layout
from opsready.targets.protocol import ReleaseRecord


def _source(version: str) -> os.PathLike[str]:
    from opsready.sandbox.service.releases import shipped_releases

    for info in shipped_releases():
        if info.version == version:
            return info.path
    known = ", ".join(r.version for r in shipped_releases())
    raise UsageError(f"unknown release '{version}'; the sandbox ships: {known}", hint="see: opsready sandbox releases")


def install(layout: Layout, db_url: str, version: str) -> None:
    """Copy the shipped release into the state directory (once) and apply its migrations."""
    from opsready.sandbox.service.migrate import migrate

    src = _source(version)
    dest = layout.releases / version
    if not dest.exists():
        tmp = layout.releases / f".{version}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(src, tmp, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        os.replace(tmp, dest)
    try:
        migrate(db_url, dest)
    except Exception as exc:  # the migration's own error, whatever the driver
        raise DeployError(f"migration of release {version} failed: {exc}") from exc


def switch_link(layout: Layout, version: str) -> None:
    """Point ``current`` at ``version`` atomically (a new link renamed over the old one)."""
    link = layout.current
    tmp = link.with_name(".current.tmp")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(os.path.join("releases", version))
    os.replace(tmp, link)


def current_release(layout: Layout) -> str | None:
    """The release the ``current`` link points at."""
    try:
        return layout.current.resolve(strict=True).name
    except OSError:
        return None


def install_first(layout: Layout, db_url: str, version: str) -> None:
    """Install ``version`` and point ``current`` at it without reloading (a sandbox's first start)."""
    install(layout, db_url, version)
    switch_link(layout, version)
    append_history(layout, ReleaseRecord(version, None, "deploy", now(), "initial release"))


def migrate_current(layout: Layout, db_url: str) -> None:
    """Make sure the database schema matches the current release (a fresh database after a purge, say)."""
    version = current_release(layout)
    if version:
        install(layout, db_url, version)


def now() -> str:
    """The time of a history record: UTC, milliseconds, ``Z``."""
    return datetime.now(tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def append_history(layout: Layout, record: ReleaseRecord) -> None:
    """Add one record to the history file, synced to disk before returning."""
    line = json.dumps(record.__dict__) + "\n"
    with layout.history_file.open("a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def history(layout: Layout) -> tuple[ReleaseRecord, ...]:
    """Release history, oldest first (unreadable lines are skipped: the history is advisory)."""
    records = []
    try:
        lines = layout.history_file.read_text(encoding="utf-8").splitlines()
    except OSError:
        return ()
    for line in lines:
        try:
            records.append(ReleaseRecord(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return tuple(records)
