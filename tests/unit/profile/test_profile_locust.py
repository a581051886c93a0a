"""loadtests/journeys.py: locust users play a profile's journeys against a service that is not the orders app, one
request per task, named by the profile's endpoints, checked against its expectations."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.capacity.profiles import LoadProfile
from opsready.capacity.runner import LoadRun
from tests.unit.profile.conftest import SHELF_PROFILE, Shelf

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("kind", ["disposable"])
def test_locust_users_play_the_profiles_journeys(
    shelf: Shelf, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """Every request is a step of a journey (cleanups included), none failed, and the shelf is left as it was."""
    profile = tmp_path / "shelf.yaml"
    profile.write_text(SHELF_PROFILE)
    monkeypatch.setenv("OPSREADY_PROFILE", str(profile))
    monkeypatch.setenv("OPSREADY_TARGET_KIND", kind)
    load = LoadProfile("journeys", users=2, spawn_rate=2, duration=4, pacing=5.0)
    with LoadRun(load, shelf.url, tmp_path / "run", ROOT / "loadtests" / "journeys.py") as run:
        result = run.wait()
    counts: dict[str, int] = {}
    for sample in result.samples:
        counts[sample.endpoint] = counts.get(sample.endpoint, 0) + 1
    assert set(counts) <= {"GET /catalogue", "POST /api/books", "GET /api/books/<key>", "DELETE /api/books/<key>"}
    assert counts.get("POST /api/books", 0) > 0 and counts.get("GET /catalogue", 0) > 0, counts
    assert not [s for s in result.samples if s.failed], (tmp_path / "run" / "locust.log").read_text()[-2000:]
    assert len(shelf.seen) >= len(result.samples) and len(shelf.books) <= 2  # cleanups ran (a stop may cut one)
