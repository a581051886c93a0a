"""Shipped releases and release.yaml validation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from opsready.errors import ValidationError
from opsready.sandbox.service.releases import RELEASES_DIR, Defects, load_release, shipped_releases, version_key

GOOD = """\
version: 9.9.9
description: a test release
training: false
defects: {}
schema: 1
"""


def test_shipped_releases_are_listed_in_version_order() -> None:
    """The shipped releases, oldest first; a tagged variant sorts before the plain release it patches."""
    assert [r.version for r in shipped_releases()] == [
        "1.0.0",
        "1.1.0",
        "1.2.0",
        "1.2.1-broken",
        "1.2.1",
        "1.3.0-errors",
        "1.3.0-slow",
        "1.3.0-unready",
    ]


def test_shipped_releases_declare_schema_training_and_defects() -> None:
    """Good releases have no defects; each training release has exactly its one flaw; 1.2.0 brings schema 2."""
    by_version = {r.version: r for r in shipped_releases()}
    assert {v: r.schema for v, r in by_version.items()} == {
        "1.0.0": 1,
        "1.1.0": 1,
        "1.2.0": 2,
        "1.2.1-broken": 2,
        "1.2.1": 2,
        "1.3.0-errors": 2,
        "1.3.0-slow": 2,
        "1.3.0-unready": 2,
    }
    for version in ("1.0.0", "1.1.0", "1.2.0", "1.2.1"):
        assert not by_version[version].training
        assert by_version[version].defects == Defects()
    assert by_version["1.2.1-broken"].defects.as_pairs() == (("error_every", 1),)
    assert by_version["1.3.0-errors"].defects.as_pairs() == (("error_every", 3),)
    assert by_version["1.3.0-slow"].defects.as_pairs() == (("latency_ms", 400),)
    assert by_version["1.3.0-unready"].defects.as_pairs() == (("never_ready", True),)
    for version, words in (
        ("1.2.1-broken", "500"),
        ("1.3.0-errors", "500"),
        ("1.3.0-slow", "400 ms"),
        ("1.3.0-unready", "503"),
    ):
        release = by_version[version]
        assert release.training
        assert "FLAWED ON PURPOSE" in release.description
        assert words in release.description
        assert release.path == RELEASES_DIR / version


def test_each_release_differs_visibly_in_features() -> None:
    """1.1.0 adds the release header, 1.2.0 adds priorities; /version shows these features."""
    features = {r.version: r.features for r in shipped_releases()}
    assert "release-header" not in features["1.0.0"]
    assert "release-header" in features["1.1.0"]
    assert "priority" not in features["1.1.0"]
    assert "priority" in features["1.2.0"]


def test_a_migration_ships_identically_in_every_release() -> None:
    """Migration NNN must be the same file wherever it is shipped, or schemas would depend on the release."""
    seen: dict[str, bytes] = {}
    for release in shipped_releases():
        for path in sorted((release.path / "migrations").glob("*.sql")):
            assert seen.setdefault(path.name, path.read_bytes()) == path.read_bytes(), path


def test_version_key_orders_tags_before_the_plain_release() -> None:
    """Semver-like order: numbers first, a tagged version before the untagged one."""
    versions = ["1.10.0", "1.3.0", "1.3.0-errors", "1.2.0", "2.0.0"]
    assert sorted(versions, key=version_key) == ["1.2.0", "1.3.0-errors", "1.3.0", "1.10.0", "2.0.0"]
    with pytest.raises(ValueError, match="not a release version"):
        version_key("latest")


def _release(tmp_path: Path, text: str, name: str = "9.9.9") -> Path:
    folder = tmp_path / name
    shutil.copytree(RELEASES_DIR / "1.0.0", folder)
    (folder / "release.yaml").write_text(text)
    return folder


def test_load_release_accepts_a_valid_file(tmp_path: Path) -> None:
    """A well-formed release is read as written."""
    release = load_release(_release(tmp_path, GOOD))
    assert (release.version, release.description, release.training, release.schema) == (
        "9.9.9",
        "a test release",
        False,
        1,
    )


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        (GOOD.replace("defects: {}", "defect: {}"), "unknown key 'defect'", 4),
        (GOOD.replace("version: 9.9.9", "version: 9.9.8"), "does not match its directory", 1),
        (GOOD.replace("schema: 1", "schema: 2"), "ships 1 migration", 5),
        (GOOD.replace("training: false", "training: maybe"), "'training' must be true or false", 3),
        (GOOD.replace("defects: {}", "defects:\n  error_every: 0"), "'error_every' must be at least 1", 5),
        (GOOD.replace("defects: {}", "defects:\n  slow: 3"), "unknown key 'slow'", 5),
        (GOOD.replace("defects: {}", "defects:\n  never_ready: true"), "must say 'training: true'", 3),
        (GOOD.replace("description: a test release", "description: [oops"), "invalid YAML", 3),
    ],
)
def test_load_release_reports_mistakes_at_their_line(tmp_path: Path, text: str, message: str, line: int) -> None:
    """A bad release.yaml is a ValidationError naming the file and line."""
    folder = _release(tmp_path, text)
    with pytest.raises(ValidationError, match=message) as caught:
        load_release(folder)
    assert caught.value.loc is not None
    assert caught.value.loc.path == str(folder / "release.yaml")
    assert caught.value.loc.line == line


def test_load_release_without_release_file(tmp_path: Path) -> None:
    """A directory that is not a release says so."""
    with pytest.raises(ValidationError, match="cannot read release file"):
        load_release(tmp_path)
