"""Releases on the sandbox: install, migrate, switch the ``current`` link, graceful reload, history, roll back.

A deploy never drops a request: gunicorn serves from the ``current`` link, and SIGHUP makes its master start new
workers on the new release before the old ones finish their requests and exit.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx

from opsready.errors import DeployError, RollbackError, UsageError
from opsready.targets.protocol import Release, ReleaseRecord

if TYPE_CHECKING:
    from opsready.sandbox.manager import Sandbox

SWITCH_TIMEOUT = 30.0


def shipped() -> tuple[Release, ...]:
    """Every release the sandbox ships, in order."""
    from opsready.sandbox.service.releases import shipped_releases

    return tuple(Release(r.version, r.description, r.training) for r in shipped_releases())


def _source(version: str) -> os.PathLike[str]:
    from opsready.sandbox.service.releases import shipped_releases

    for info in shipped_releases():
        if info.version == version:
            return info.path
    known = ", ".join(r.version for r in shipped_releases())
    raise UsageError(f"unknown release '{version}'; the sandbox ships: {known}", hint="see: opsready sandbox releases")


def _install(sandbox: Sandbox, version: str) -> None:
    """Copy the shipped release into the state directory (once) and apply its migrations."""
    from opsready.sandbox.service.migrate import migrate

    src = _source(version)
    dest = sandbox.layout.releases / version
    if not dest.exists():
        tmp = sandbox.layout.releases / f".{version}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(src, tmp, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        os.replace(tmp, dest)
    try:
        migrate(sandbox.db_url(), dest)
    except Exception as exc:  # the migration's own error, whatever the driver
        raise DeployError(f"migration of release {version} failed: {exc}") from exc


def _switch_link(sandbox: Sandbox, version: str) -> None:
    link = sandbox.layout.current
    tmp = link.with_name(".current.tmp")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(os.path.join("releases", version))
    os.replace(tmp, link)


def migrate_current(sandbox: Sandbox) -> None:
    """Make sure the database schema matches the current release (a fresh database after a purge, say)."""
    version = sandbox.current_release()
    if version:
        _install(sandbox, version)


def install_release(sandbox: Sandbox, version: str, switch_only: bool = False) -> None:
    """Install ``version`` and point ``current`` at it without reloading (for the first start)."""
    _install(sandbox, version)
    _switch_link(sandbox, version)
    if switch_only:
        _append(sandbox, ReleaseRecord(version, None, "deploy", _now(), "initial release"))


def _now() -> str:
    return datetime.now(tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _append(sandbox: Sandbox, record: ReleaseRecord) -> None:
    line = json.dumps(record.__dict__) + "\n"
    with sandbox.layout.history_file.open("a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def history(sandbox: Sandbox) -> tuple[ReleaseRecord, ...]:
    """Release history, oldest first (unreadable lines are skipped: the history is advisory)."""
    records = []
    try:
        lines = sandbox.layout.history_file.read_text(encoding="utf-8").splitlines()
    except OSError:
        return ()
    for line in lines:
        try:
            records.append(ReleaseRecord(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return tuple(records)


def _wait_serving(sandbox: Sandbox, version: str, timeout: float) -> None:
    """Wait until several answers in a row through the edge come from ``version`` (old workers have drained)."""
    url = f"{sandbox.base_url}/version"
    deadline = time.monotonic() + timeout
    streak = 0
    seen = "nothing"
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            try:
                seen = client.get(url).json().get("version", "?")
            except (httpx.HTTPError, ValueError):
                seen = "no answer"
            streak = streak + 1 if seen == version else 0
            if streak >= 5:
                return
            time.sleep(0.02)
    raise DeployError(f"release {version} was not serving {timeout:.0f} s after the reload (last answer: {seen})")


def switch(sandbox: Sandbox, version: str, kind: str = "deploy", note: str = "") -> ReleaseRecord:
    """Install, migrate, switch the link, reload gracefully, and wait until the new release serves."""
    with sandbox.locked():
        sup = sandbox.supervisor()
        previous = sandbox.current_release()
        _install(sandbox, version)
        _switch_link(sandbox, version)
        sup.signal("api", "HUP")
        _wait_serving(sandbox, version, SWITCH_TIMEOUT)
        record = ReleaseRecord(version, previous, kind, _now(), note)
        _append(sandbox, record)
        return record


def rollback(sandbox: Sandbox, note: str = "") -> ReleaseRecord:
    """Switch back to the release that served before the current one (like ``kubectl rollout undo``)."""
    current = sandbox.current_release()
    for record in reversed(history(sandbox)):
        if record.version == current and record.previous and record.previous != current:
            return switch(sandbox, record.previous, "rollback", note)
    raise RollbackError(f"no earlier release to roll back to from {current}", hint="see: opsready sandbox releases")
