"""Fleets left behind by a harness that was killed outright (SIGKILL, a lost terminal): found and removed.

A fleet's directory, ``<tmp>/ors-<6 hex>-*``, holds an ``owner`` file with the pid and start time of the process that
built it. A fleet is an orphan only when that exact process is gone; then its namespaces, links, processes and
directory are removed through the same teardown, by its own prefix. A fleet whose owner runs is never touched.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import psutil

from .fleet import OWNER, Fleet

_DIR = re.compile(r"^(ors-[0-9a-f]{6}-)")


def owner_alive(workdir: Path) -> bool:
    """True when the process named in the fleet's owner file still runs (or the file cannot be read: leave it be)."""
    try:
        pid_text, started_text = (workdir / OWNER).read_text(encoding="utf-8").split()
        pid, started = int(pid_text), float(started_text)
    except (OSError, ValueError):
        return True
    try:
        return psutil.Process(pid).create_time() == started
    except psutil.NoSuchProcess:
        return False


def orphans(tmp: Path | None = None) -> list[tuple[str, Path]]:
    """(prefix, directory) of every fleet here whose owner is gone."""
    found = []
    for workdir in sorted(Path(tmp or tempfile.gettempdir()).glob("ors-*")):
        match = _DIR.match(workdir.name)
        if match and workdir.is_dir() and not owner_alive(workdir):
            found.append((match.group(1), workdir))
    return found


def sweep_orphans(tmp: Path | None = None) -> list[str]:
    """Tear down every orphaned fleet; what was removed, and any problem met."""
    done = []
    for prefix, workdir in orphans(tmp):
        problems = Fleet(prefix=prefix, adopt=workdir).teardown()
        done.append(f"removed orphaned fleet {prefix}" + (f" with problems: {problems}" if problems else ""))
    return done
