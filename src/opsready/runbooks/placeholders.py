"""Placeholders left to fill in: ``[FILL IN: what]`` in runbooks, checklists, feature files, experiments,
load tests, game-day plans and the suite's top-level YAML files (``opsready.yaml``, ``profile.yaml``).

``opsready init`` writes a starter suite with placeholders where only the team knows the answer (owners, contacts,
the commands of their own platform). The lint reports each one as a warning, so a fresh suite runs at once, and
as an error with ``--strict``, so a team can hold its CI to a suite with none left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from opsready.errors import Loc

PLACEHOLDER = re.compile(r"\[FILL IN(?::[^\]\n]*)?\]")
SUFFIXES = (".md", ".yaml", ".yml", ".feature", ".j2", ".py")


@dataclass(frozen=True)
class Placeholder:
    """One placeholder: where it is and its text."""

    loc: Loc
    text: str


def find_placeholders(*places: Path) -> tuple[Placeholder, ...]:
    """Every placeholder in the text files ``places`` name (files, or directories searched through), in order."""
    found: list[Placeholder] = []
    for place in places:
        paths = sorted(p for p in place.rglob("*") if p.is_file() and p.suffix in SUFFIXES) if place.is_dir() else []
        for path in paths if place.is_dir() else [place] if place.is_file() else []:
            try:
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
            for number, line in enumerate(lines, start=1):
                found.extend(Placeholder(Loc(str(path), number), m.group(0)) for m in PLACEHOLDER.finditer(line))
    return tuple(found)


def suite_places(runbooks_dir: Path, features_dir: Path) -> tuple[Path, ...]:
    """Where a suite keeps what the lint checks for placeholders: beside runbooks/ and features/, the suite's other
    directories of drills and its top-level YAML files."""
    root = runbooks_dir.parent
    others = tuple(root / name for name in ("experiments", "loadtests", "gamedays"))
    return (runbooks_dir, features_dir, *others, *sorted(root.glob("*.yaml")))
