"""Load profiles: bounds every run respects, stepped shapes, and mistakes reported at their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.capacity.profiles import LoadProfile, load_profiles
from opsready.capacity.runner import locust_command
from opsready.errors import ValidationError

ROOT = Path(__file__).resolve().parents[3]


def write(tmp_path: Path, body: str) -> Path:
    """A profiles file with one profile body."""
    path = tmp_path / "profiles.yaml"
    path.write_text("version: 1\nprofiles:\n  p:\n" + body)
    return path


def test_the_shipped_profiles_are_valid_and_bounded() -> None:
    """Every shipped profile is bounded in time and requests; the rising one is stepped."""
    profiles = load_profiles(ROOT / "loadtests/profiles.yaml")
    for profile in profiles.values():
        assert 0 < profile.duration <= 3600 and profile.max_requests > 0
    rising = profiles["rising"]
    assert [s.users for s in rising.stages] == [4, 20, 2] and rising.duration == 37.0 and rising.users == 20


def test_a_profile_reads_every_field(tmp_path: Path) -> None:
    """Durations, numbers and defaults."""
    path = write(tmp_path, "    users: 8\n    duration: 1 minute\n    pacing: 2.5\n    workers: 2\n    warmup: 500ms\n")
    profile = load_profiles(path)["p"]
    assert (profile.users, profile.spawn_rate, profile.duration, profile.pacing) == (8, 8.0, 60.0, 2.5)
    assert (profile.workers, profile.warmup, profile.offered_rps) == (2, 0.5, 20.0)


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("    users: 0\n    duration: 5s\n", 4, "'users' must be at least 1"),
        ("    users: 2\n    duration: 5 fortnights\n", 5, "unknown unit 'fortnights'"),
        ("    users: 2\n    duration: 5s\n    warmup: 5s\n", 6, "warmup must be shorter"),
        ("    users: 2\n    duration: 5s\n    pacng: 2\n", 6, "unknown key 'pacng'"),
        ("    users: 2\n    duration: 48h\n", 5, "at most 24 h"),
        ("    users: 2\n    stages: [{duration: 5s, users: 2}]\n", 4, "'users' comes from the stages"),
    ],
)
def test_mistakes_name_their_line(tmp_path: Path, body: str, line: int, message: str) -> None:
    """Every mistake is a ValidationError at the line it was written on."""
    path = write(tmp_path, body)
    with pytest.raises(ValidationError) as caught:
        load_profiles(path)
    assert message in caught.value.message
    assert caught.value.loc is not None and caught.value.loc.line == line


def test_locust_listens_on_loopback_only_and_is_bounded(tmp_path: Path) -> None:
    """The command: headless, run time, JSON statistics; with workers, the master binds 127.0.0.1 on a given port."""
    profile = LoadProfile("p", users=4, spawn_rate=2, duration=7.5, pacing=1.0, workers=2)
    command = locust_command(profile, "http://127.0.0.1:1", Path("lf.py"), tmp_path, 5599)
    text = " ".join(command)
    assert "--headless" in command and "--run-time 8s" in text and f"--json-file {tmp_path}/stats" in text
    assert "--processes 2 --master-bind-host 127.0.0.1 --master-bind-port 5599" in text
    assert "--master-port 5599" in text and "--pacing 1" in text
