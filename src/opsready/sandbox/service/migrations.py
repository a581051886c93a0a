"""The schema migrations a release ships: ``migrations/NNN_name.sql`` (portable SQL) with an optional
``NNN_name.sqlite.sql`` variant, numbered 1..N without gaps. Reading them needs no database driver, so what only
counts or lists a release's migrations (the release catalogue, opened by every process that opens the sandbox
target) does not pay for one; applying them is :mod:`opsready.sandbox.service.migrate`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from opsready.errors import Loc, ValidationError

_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+?)(\.sqlite)?\.sql$")


@dataclass(frozen=True)
class Migration:
    """One migration file: its number, its name and the file the given engine runs."""

    version: int
    name: str
    path: Path


def find_migrations(release_dir: Path, kind: str = "postgresql") -> tuple[Migration, ...]:
    """The release's migrations for one engine (``postgresql`` or ``sqlite``), numbered 1..N without gaps."""
    folder = release_dir / "migrations"
    if not folder.is_dir():
        return ()
    portable: dict[int, Migration] = {}
    variants: dict[int, Migration] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith((".", "__")) or path.is_dir():
            continue
        match = _NAME.match(path.name)
        if match is None:
            raise ValidationError(
                f"bad migration file name '{path.name}'",
                Loc(str(path)),
                hint="name it NNN_name.sql (e.g. 003_refunds.sql)",
            )
        migration = Migration(int(match.group(1)), match.group(2), path)
        table = variants if match.group(3) else portable
        if migration.version in table:
            raise ValidationError(f"two migrations numbered {migration.version:03d}", Loc(str(path)))
        table[migration.version] = migration
    for number, variant in variants.items():
        base = portable.get(number)
        if base is None or base.name != variant.name:
            raise ValidationError(
                f"'{variant.path.name}' needs a portable '{number:03d}_{variant.name}.sql' beside it",
                Loc(str(variant.path)),
            )
    expected = list(range(1, len(portable) + 1))
    if sorted(portable) != expected:
        raise ValidationError(f"migrations must be numbered 001..{len(portable):03d} without gaps", Loc(str(folder)))
    chosen = variants if kind == "sqlite" else {}
    return tuple(chosen.get(n, portable[n]) for n in expected)
