"""The journey runner, the smoke test, traffic and the data check against a small real service that is not the orders
app (other paths, no metrics): what the profile says is what is sent and checked."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from opsready.errors import ProbeError, UsageError
from opsready.probes import http as http_probes
from opsready.probes import paths
from opsready.profile import attach, count_data, data_intact, parse_profile, run_journey
from opsready.traffic import Traffic
from opsready.yamlsrc import parse_yaml
from tests.unit.profile.conftest import SHELF_PROFILE, FakeTarget, Shelf


def _profile(text: str = SHELF_PROFILE, name: str = "shelf.yaml"):  # type: ignore[no-untyped-def]
    return parse_profile(parse_yaml(text, name), Path(name))


def _target(shelf: Shelf, kind: str = "disposable", text: str = SHELF_PROFILE) -> FakeTarget:
    target = FakeTarget(shelf.url, kind)
    attach(target, _profile(text))
    return target


def test_a_journey_sends_its_steps_captures_values_and_cleans_up(shelf: Shelf) -> None:
    """POST with the counter in the body, the captured key in the next path, then the cleanup DELETE."""
    journey = _profile().journey("shelve")
    with httpx.Client(base_url=shelf.url) as client:
        run = run_journey(client, journey, number=41)
    assert run.ok and run.requests == 3, run
    assert shelf.seen == ["POST /api/books", "GET /api/books/1", "DELETE /api/books/1"]
    assert shelf.books == {}  # the cleanup removed what the journey wrote


def test_the_smoke_test_runs_the_profiles_journeys(shelf: Shelf) -> None:
    """Each smoke journey runs the profile's number of times; the health endpoints are the profile's."""
    target = _target(shelf)
    observation = http_probes.smoke(target)  # type: ignore[arg-type]
    assert observation.ok, observation.describe()
    assert "4/4 journeys passed (look, shelve)" in observation.detail
    assert shelf.seen.count("GET /catalogue") == 2 and shelf.seen.count("DELETE /api/books/1") == 1
    assert http_probes.liveness(target).ok and http_probes.readiness(target).ok  # type: ignore[arg-type]
    assert http_probes.version(target, expect="7.1").ok  # type: ignore[arg-type]
    assert paths.availability(target).ok  # type: ignore[arg-type]
    assert "GET /ready and GET /catalogue" in paths.availability(target).detail  # type: ignore[arg-type]


def test_a_json_path_that_never_matches_names_the_journey_the_line_and_the_answer(shelf: Shelf) -> None:
    """Smoke time: the failure says which journey, which step (path:line), what was expected, and what came back."""
    text = SHELF_PROFILE.replace('json: "shelves[0].name"', 'json: "shelves[0].title"')
    observation = http_probes.smoke(_target(shelf, text=text))  # type: ignore[arg-type]
    assert not observation.ok
    assert "journey 'look' step 1 (shelf.yaml:12)" in observation.detail, observation.detail
    assert "JSON path 'shelves[0].title' matches nothing" in observation.detail
    assert '"name": "fiction"' in observation.detail  # an excerpt of the answer


def test_an_unexpected_status_and_an_unreachable_url_are_reported_per_journey(shelf: Shelf) -> None:
    """A wrong status shows the answer; a URL nobody listens on says there was no answer."""
    text = SHELF_PROFILE.replace('expect: {status: 200, json: "shelves[0].name"}', "expect: {status: 202}")
    wrong = http_probes.smoke(_target(shelf, text=text))  # type: ignore[arg-type]
    assert not wrong.ok and "GET /catalogue: HTTP 200, expected 202" in wrong.detail, wrong.detail
    with httpx.Client() as probe:
        port = httpx.URL(shelf.url).port
        assert probe.get(shelf.url + "/live").status_code == 200 and port
    gone = FakeTarget("http://127.0.0.1:9")  # discard port: nothing listens
    attach(gone, _profile())
    unreachable = http_probes.smoke(gone)  # type: ignore[arg-type]
    assert not unreachable.ok
    assert "journey 'look' step 1" in unreachable.detail and "no answer (ConnectError" in unreachable.detail


def test_a_real_target_holds_back_writes_that_leave_data_behind(shelf: Shelf) -> None:
    """On a real target a writing journey runs only when it cleans up (or says it may); traffic follows suit."""
    text = SHELF_PROFILE.replace("journeys: [look, shelve]", "journeys: [look, shelve, keep]")
    observation = http_probes.smoke(_target(shelf, kind="real", text=text))  # type: ignore[arg-type]
    assert observation.ok, observation.describe()
    assert "held back on a real target (they write and do not clean up): keep" in observation.detail
    assert not any(title.startswith("kept-") for title in shelf.books.values())
    assert [j.name for j in _profile(text).traffic("real")] == ["look", "shelve"]
    allowed = text.replace("    writes: true\n", "    writes: true\n    on_real_targets: true\n")
    assert [j.name for j in _profile(allowed).writing("real")] == ["shelve"]  # weight 0: never in traffic


def test_traffic_plays_the_journeys_by_weight_and_names_endpoints_by_template(shelf: Shelf) -> None:
    """Samples carry the step's endpoint with placeholders shown as <name>; the shelf is left empty."""
    journeys = _profile().traffic("disposable")
    with Traffic(shelf.url, clients=2, rate=40, max_seconds=20, max_requests=60, journeys=journeys) as traffic:
        deadline = time.monotonic() + 15
        while traffic.snapshot().total < 30 and time.monotonic() < deadline:
            time.sleep(0.05)
    report = traffic.stop()
    endpoints = {s.endpoint for s in report.samples}
    assert endpoints == {"/catalogue", "/api/books", "/api/books/<key>"}, endpoints
    assert report.failed == 0, report.describe()
    posts = sum(1 for s in report.samples if s.endpoint == "/api/books")
    looks = sum(1 for s in report.samples if s.endpoint == "/catalogue")
    assert posts > looks, (posts, looks)  # shelve weighs 2, look 1
    assert shelf.books == {} or len(shelf.books) <= 2  # cleanups ran (a run cut off by the stop may remain)


def test_data_intact_counts_up_to_the_watermark_and_sees_a_lost_record(shelf: Shelf) -> None:
    """Records written after the count do not disturb it; a record removed does, and so does a changed one."""
    profile = _profile()
    with httpx.Client(base_url=shelf.url) as client:
        for _ in range(3):
            assert run_journey(client, profile.journey("keep")).ok
    before = count_data(profile, shelf.url)
    assert (before.count, before.watermark) == (3, 3)
    with httpx.Client(base_url=shelf.url) as client:
        assert run_journey(client, profile.journey("keep")).ok  # written after the count
    assert data_intact(profile, shelf.url, before) == (True, "3 records, same checksum")
    shelf.books[2] = "changed"
    ok, seen = data_intact(profile, shelf.url, before)
    assert not ok and "checksum changed" in seen
    del shelf.books[2]
    assert data_intact(profile, shelf.url, before) == (False, "records before 3, after 2")


def test_a_data_endpoint_without_the_json_path_is_a_probe_error(shelf: Shelf) -> None:
    """The failure names the path and where the profile says it."""
    profile = _profile(SHELF_PROFILE.replace("count: stats.n", "count: stats.total"))
    with pytest.raises(ProbeError, match=r"JSON path 'stats.total' matches nothing \(shelf.yaml:\d+\)"):
        count_data(profile, shelf.url)


SQL_PROFILE = """\
version: 1
journeys:
  look:
    steps: [{request: GET /catalogue}]
data:
  sql:
    url_env: SHELF_DB_URL
    query: "SELECT count(*), group_concat(title, '|'), max(id) FROM books WHERE :watermark IS NULL OR id <= :watermark"
  watermark: newest
"""


def test_a_sql_data_check_reads_its_url_from_the_environment_and_never_shows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Count and checksum from a query; a missing variable is named; a failing query does not quote the URL."""
    db_path = tmp_path / "secret-name.db"
    with sqlite3.connect(db_path) as db:
        db.execute("CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT)")
        db.executemany("INSERT INTO books (title) VALUES (?)", [("a",), ("b",)])
    profile = _profile(SQL_PROFILE)
    monkeypatch.delenv("SHELF_DB_URL", raising=False)
    with pytest.raises(UsageError, match="export SHELF_DB_URL"):
        count_data(profile, "")
    monkeypatch.setenv("SHELF_DB_URL", f"sqlite:///{db_path}")
    before = count_data(profile, "")
    assert (before.count, before.checksum, before.watermark) == (2, "a|b", 2)
    with sqlite3.connect(db_path) as db:
        db.execute("INSERT INTO books (title) VALUES ('c')")
    assert data_intact(profile, "", before)[0]
    broken = _profile(SQL_PROFILE.replace("FROM books", "FROM nowhere"))
    with pytest.raises(ProbeError) as failure:
        count_data(broken, "")
    assert "$SHELF_DB_URL" in str(failure.value) and "secret-name" not in str(failure.value)
