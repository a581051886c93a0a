"""``locustfile: profile`` in a capacity file: opsready hands the target's service profile to the locust subprocess,
whose users play its journeys against a service that is not the orders app; endpoint thresholds name the steps."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.capacity.journeys import locust_env, step_names
from opsready.capacity.runner import LoadRun
from opsready.capacity.settings import load_settings
from opsready.errors import ValidationError
from opsready.profile import attach, load_profile
from tests.unit.profile.conftest import SHELF_PROFILE, FakeTarget, Shelf

ROOT = Path(__file__).resolve().parents[3]

CAPACITY = """\
version: 1
locustfile: profile
profiles: {profiles}
planned_load: short
thresholds:
  - error_rate < 1%
endpoints:
  GET /catalogue: [p95 < 1s]
  POST /api/books: [p95 < 1s]
finder:
  profile: short
"""

PROFILES = """\
version: 1
profiles:
  short:
    users: 2
    spawn_rate: 2
    duration: 4s
    pacing: 5
"""


def _settings(tmp_path: Path, text: str = CAPACITY):  # type: ignore[no-untyped-def]
    (tmp_path / "profiles.yaml").write_text(PROFILES)
    path = tmp_path / "capacity.yaml"
    path.write_text(text.format(profiles=tmp_path / "profiles.yaml"))
    return load_settings(path, ROOT)


def _target(shelf: Shelf, tmp_path: Path) -> FakeTarget:
    path = tmp_path / "shelf.yaml"
    path.write_text(SHELF_PROFILE)
    target = FakeTarget(shelf.url, "disposable")
    attach(target, load_profile(path))
    return target


def test_a_capacity_run_plays_the_targets_profile_journeys(shelf: Shelf, tmp_path: Path) -> None:
    """Locust's counted requests per step: every one a step of the profile, each journey's steps played, and as
    many as the service answered; the endpoint thresholds were measured."""
    settings = _settings(tmp_path)
    target = _target(shelf, tmp_path)
    assert settings.plays_profile and settings.locustfile == ROOT / "loadtests" / "journeys.py"
    env = locust_env(settings, target)
    assert env == {"OPSREADY_PROFILE": str(tmp_path / "shelf.yaml"), "OPSREADY_TARGET_KIND": "disposable"}
    with LoadRun(settings.profile(), shelf.url, tmp_path / "run", settings.locustfile, env=env) as run:
        result = run.wait()
    log = (tmp_path / "run" / "locust.log").read_text()[-2000:]
    counts: dict[str, int] = {}
    for sample in result.samples:
        counts[sample.endpoint] = counts.get(sample.endpoint, 0) + 1
    steps = set(step_names(load_profile(tmp_path / "shelf.yaml")))
    assert set(counts) <= steps, (counts, steps)
    for step in ("GET /catalogue", "POST /api/books", "GET /api/books/<key>", "DELETE /api/books/<key>"):
        assert counts.get(step, 0) > 0, (step, counts, log)
    assert counts["GET /catalogue"] == shelf.seen.count("GET /catalogue"), (counts, log)
    assert counts["POST /api/books"] == shelf.seen.count("POST /api/books"), (counts, log)
    assert not [s for s in result.samples if s.failed], log
    checks = settings.thresholds.verdict([result.stats()]).checks
    measured = {c.threshold.endpoint: c.measured for c in checks if c.threshold.endpoint}
    assert set(measured) == {"GET /catalogue", "POST /api/books"} and None not in measured.values(), measured


def test_an_endpoint_threshold_that_names_no_step_is_refused_at_its_line(shelf: Shelf, tmp_path: Path) -> None:
    """The orders endpoints mean nothing to the bookshelf: refused before any load, at the threshold's line."""
    settings = _settings(tmp_path, CAPACITY.replace("POST /api/books: [p95 < 1s]", "POST /orders: [p95 < 1s]"))
    with pytest.raises(ValidationError) as info:
        locust_env(settings, _target(shelf, tmp_path))
    assert str(info.value).startswith(f"{tmp_path / 'capacity.yaml'}:9: "), str(info.value)
    assert "'POST /orders' is no step" in str(info.value) and "GET /catalogue" in str(info.value)


def test_playing_the_profile_needs_one(tmp_path: Path) -> None:
    """A target without a profile file (the built-in profile) cannot be played: said at the locustfile line."""
    settings = _settings(tmp_path)
    with pytest.raises(ValidationError) as info:
        locust_env(settings, FakeTarget("http://127.0.0.1:9"))
    assert str(info.value).startswith(f"{tmp_path / 'capacity.yaml'}:2: "), str(info.value)


def test_a_named_locustfile_gets_no_profile(tmp_path: Path) -> None:
    """The sandbox's capacity file names the orders shopper: nothing is added to locust's environment."""
    settings = load_settings(ROOT / "loadtests" / "capacity.yaml", ROOT)
    assert not settings.plays_profile and settings.locustfile == ROOT / "loadtests" / "locustfile.py"
    assert locust_env(settings, FakeTarget("http://127.0.0.1:9")) == {}
