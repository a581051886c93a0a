"""Releases of the orders service: what each ``release.yaml`` declares, checked, and the list the sandbox ships.

A release directory holds ``release.yaml``, a tiny ``wsgi.py`` and its ``migrations/``. The code is the same for every
release; the release file decides the version, the schema it needs and, for training releases, its deliberate defects.
Features are derived from the version and schema, so older releases behave as they did when they shipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from opsready.errors import Loc, ValidationError
from opsready.sandbox.service.migrations import find_migrations
from opsready.yamlsrc import MapReader, parse_yaml

RELEASES_DIR = Path(__file__).resolve().parent.parent / "releases"
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z][0-9A-Za-z.-]*))?$")
MAX_LATENCY_MS = 60_000


def version_key(version: str) -> tuple[int, int, int, int, str]:
    """Sort key for ``MAJOR.MINOR.PATCH[-tag]`` (a tagged version sorts just before the plain one, as in semver)."""
    match = _VERSION.match(version)
    if match is None:
        raise ValueError(f"not a release version: {version!r}")
    tag = match.group(4) or ""
    return int(match.group(1)), int(match.group(2)), int(match.group(3)), 0 if tag else 1, tag


@dataclass(frozen=True)
class Defects:
    """Deliberate flaws of a training release; all off in a good release."""

    error_every: int = 0
    latency_ms: int = 0
    never_ready: bool = False

    def as_pairs(self) -> tuple[tuple[str, int | bool], ...]:
        """The active defects as (name, value) pairs, in release.yaml's spelling."""
        pairs: list[tuple[str, int | bool]] = []
        if self.error_every:
            pairs.append(("error_every", self.error_every))
        if self.latency_ms:
            pairs.append(("latency_ms", self.latency_ms))
        if self.never_ready:
            pairs.append(("never_ready", True))
        return tuple(pairs)

    def __bool__(self) -> bool:
        return bool(self.as_pairs())


@dataclass(frozen=True)
class ReleaseInfo:
    """One release directory, as declared by its ``release.yaml``."""

    version: str
    description: str
    training: bool
    defects: Defects
    schema: int
    path: Path = field(compare=False)

    @property
    def features(self) -> tuple[str, ...]:
        """What this release's api offers beyond the basics (shown by ``/version``)."""
        found = ["orders", "catalogue", "stats"]
        if version_key(self.version)[:3] >= (1, 1, 0):
            found.append("release-header")  # every response says which release answered it
        if self.schema >= 2:
            found.append("priority")  # orders accept and report "priority"
        return tuple(found)


def _defects(reader: MapReader | None) -> Defects:
    if reader is None:
        return Defects()
    defects = Defects(
        error_every=reader.integer("error_every", None, minimum=1) or 0,
        latency_ms=reader.integer("latency_ms", None, minimum=0) or 0,
        never_ready=reader.flag("never_ready", False),
    )
    reader.done()
    if defects.latency_ms > MAX_LATENCY_MS:
        raise ValidationError(f"'latency_ms' must be at most {MAX_LATENCY_MS}", reader.loc_of("latency_ms"))
    return defects


def load_release(path: Path) -> ReleaseInfo:
    """Read and check one release directory; any mistake is a :class:`ValidationError` at its line."""
    release_dir = Path(path)
    file = release_dir / "release.yaml"
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"cannot read release file: {exc.strerror or exc}", Loc(str(file))) from None
    reader = MapReader(parse_yaml(text, str(file)), Loc(str(file)), "release.yaml")
    version = reader.string("version")
    if _VERSION.match(version) is None:
        raise ValidationError(f"'version' must look like 1.2.3 or 1.2.3-tag, got {version!r}", reader.loc_of("version"))
    if version != release_dir.name:
        raise ValidationError(
            f"version {version} does not match its directory '{release_dir.name}'", reader.loc_of("version")
        )
    description = reader.string("description").strip()
    if not description:
        raise ValidationError("'description' must not be empty", reader.loc_of("description"))
    training = reader.flag("training")
    defects = _defects(reader.optional_map("defects"))
    schema = reader.integer("schema", minimum=0)
    reader.done()
    if defects and not training:
        raise ValidationError("a release with defects must say 'training: true'", reader.loc_of("training"))
    shipped = len(find_migrations(release_dir))
    if schema != shipped:
        raise ValidationError(
            f"'schema' is {schema} but the release ships {shipped} migration(s); say the highest migration number",
            reader.loc_of("schema"),
        )
    if not (release_dir / "wsgi.py").is_file():
        raise ValidationError("release has no wsgi.py", Loc(str(release_dir)))
    return ReleaseInfo(version, description, training, defects, schema, release_dir)


def shipped_releases() -> list[ReleaseInfo]:
    """Every release shipped with opsready, oldest first (training variants after the good release they extend)."""
    found = [
        load_release(child)
        for child in RELEASES_DIR.iterdir()
        if child.is_dir() and not child.name.startswith((".", "_")) and (child / "release.yaml").is_file()
    ]
    return sorted(found, key=lambda r: version_key(r.version))
