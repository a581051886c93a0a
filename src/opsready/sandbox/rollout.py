"""Releases on the sandbox: install, migrate, switch the ``current`` link, graceful reload, history, roll back.

A deploy never drops a request: gunicorn serves from the ``current`` link, and SIGHUP makes its master start new
workers on the new release before the old ones finish their requests and exit.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from opsready.errors import DeployError, RollbackError
from opsready.sandbox import installed
from opsready.targets.protocol import Release, ReleaseRecord

if TYPE_CHECKING:
    from opsready.sandbox.manager import Sandbox

SWITCH_TIMEOUT = 30.0


def shipped() -> tuple[Release, ...]:
    """Every release the sandbox ships, in order."""
    from opsready.sandbox.service.releases import shipped_releases

    return tuple(Release(r.version, r.description, r.training) for r in shipped_releases())


def history(sandbox: Sandbox) -> tuple[ReleaseRecord, ...]:
    """Release history, oldest first."""
    return installed.history(sandbox.layout)


def _wait_serving(sandbox: Sandbox, version: str, timeout: float) -> None:
    """Wait until several answers in a row through the edge come from ``version`` (old workers have drained)."""
    import httpx

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
        installed.install(sandbox.layout, sandbox.db_url(), version)
        installed.switch_link(sandbox.layout, version)
        sup.signal("api", "HUP")
        _wait_serving(sandbox, version, SWITCH_TIMEOUT)
        record = ReleaseRecord(version, previous, kind, installed.now(), note)
        installed.append_history(sandbox.layout, record)
        return record


def rollback(sandbox: Sandbox, note: str = "") -> ReleaseRecord:
    """Switch back to the release that served before the current one (like ``kubectl rollout undo``)."""
    current = sandbox.current_release()
    for record in reversed(history(sandbox)):
        if record.version == current and record.previous and record.previous != current:
            return switch(sandbox, record.previous, "rollback", note)
    raise RollbackError(f"no earlier release to roll back to from {current}", hint="see: opsready sandbox releases")
