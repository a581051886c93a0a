"""Files drills leave beside the reports (fault journals, comms messages, review drafts), listed for the HTML report."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from opsready.results import ARTIFACT_KINDS, Artifact, ArtifactKind

# only the newest files of each kind are linked, so the page of a long-lived reports/ stays readable
LIMIT = 20


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _kind(name: str) -> ArtifactKind:
    for kind in ARTIFACT_KINDS:
        if kind == name:
            return kind
    raise ValueError(f"unknown artifact kind {name!r} (known: {', '.join(ARTIFACT_KINDS)})")


def find_artifacts(directories: Iterable[tuple[str, Path]], limit: int = LIMIT) -> tuple[Artifact, ...]:
    """The newest files (not hidden, not index files) under each (kind, directory), newest first per kind."""
    found: list[Artifact] = []
    seen: set[Path] = set()
    for name, directory in directories:
        kind = _kind(name)
        if not directory.is_dir():
            continue
        files = []
        for path in directory.rglob("*"):
            resolved = path.resolve()
            if resolved in seen or not path.is_file() or path.name.startswith(".") or path.suffix == ".jsonl":
                continue
            seen.add(resolved)
            files.append((path.stat().st_mtime, resolved))
        files.sort(reverse=True)
        found += [Artifact(kind, str(path), _iso(mtime)) for mtime, path in files[:limit]]
    return tuple(found)
