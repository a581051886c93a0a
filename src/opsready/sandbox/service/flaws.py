"""Synthetic flaws: files that make the api processes of one release fail a share of user requests, or answer late.

A flaw file names the release it belongs to; each api process applies only the flaws of the release it serves, so
a rollback (new workers on the previous release) ends the flaw while its file, and the fault that wrote it, still
exist. The fault ``synthetic-flaw`` writes and deletes these files (:mod:`opsready.sandbox.faults.flaw`). Operational
endpoints (health, readiness, version, metrics) are never flawed: the deployment's own probes must keep working.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

OPERATIONAL = frozenset({"/healthz", "/readyz", "/version", "/metrics"})


@dataclass(frozen=True)
class Flaw:
    """One synthetic flaw: the release it hits, the share of its user requests that fail, the delay it adds."""

    fault_id: str
    release: str
    error_share: float
    latency_ms: int

    def to_json(self) -> str:
        """The flaw file's content."""
        data = {"release": self.release, "error_share": self.error_share, "latency_ms": self.latency_ms}
        return json.dumps(data, sort_keys=True)


def flaws_dir(state: Path) -> Path:
    """Where a sandbox keeps its flaw files."""
    return state / "flaws"


def flaw_file(state: Path, fault_id: str) -> Path:
    """The file of one fault's flaw."""
    return flaws_dir(state) / f"{fault_id}.json"


def write_flaw(state: Path, flaw: Flaw) -> Path:
    """Write the flaw atomically (a process never reads half a file)."""
    path = flaw_file(state, flaw.fault_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(flaw.to_json(), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_flaws(directory: Path) -> tuple[Flaw, ...]:
    """Every readable flaw file in ``directory`` (unreadable ones are skipped: a flaw must never break the api)."""
    found: list[Flaw] = []
    try:
        entries = sorted(directory.glob("*.json"))
    except OSError:
        return ()
    for path in entries:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            found.append(Flaw(path.stem, str(data["release"]), float(data["error_share"]), int(data["latency_ms"])))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return tuple(found)


class FlawWatch:
    """What one api process applies: the flaws of its own release, re-read when the directory changes."""

    def __init__(self, directory: Path, release: str) -> None:
        self.directory = directory
        self.release = release
        self._lock = threading.Lock()
        self._stamp: int | None = None
        self._error_share = 0.0
        self._latency_ms = 0
        self._requests = 0

    def _refresh(self) -> None:
        try:
            stamp = self.directory.stat().st_mtime_ns
        except OSError:
            stamp = 0
        if stamp == self._stamp:
            return
        mine = [f for f in read_flaws(self.directory) if f.release == self.release]
        self._stamp = stamp
        self._error_share = min(1.0, sum(f.error_share for f in mine))
        self._latency_ms = sum(f.latency_ms for f in mine)

    def judge(self, path: str) -> tuple[bool, float]:
        """For one request: whether it fails, and how long it waits first (seconds). Failures are spread evenly:
        with a share of 30%, 3 of every 10 user requests of this process fail."""
        if path in OPERATIONAL:
            return False, 0.0
        with self._lock:
            self._refresh()
            if not self._error_share and not self._latency_ms:
                return False, 0.0
            self._requests += 1
            n, share = self._requests, self._error_share
            failing = int(n * share) > int((n - 1) * share)
            return failing, self._latency_ms / 1000
