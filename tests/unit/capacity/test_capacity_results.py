"""Statistics from individual requests, phases cut at timeline events, and reading what locust leaves behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opsready.capacity.output import SampleReader, read_locust_json
from opsready.capacity.profiles import LoadProfile
from opsready.capacity.results import Phase, RequestSample, drill_phases, phase_stats, summarize
from opsready.capacity.runner import LoadResult
from opsready.errors import TargetError
from opsready.timeline import Timeline


def sample(start: float, latency: float = 0.05, endpoint: str = "GET /products", failed: bool = False) -> RequestSample:
    """One request."""
    return RequestSample(start, start + latency, endpoint, latency, failed)


def test_percentiles_are_nearest_rank() -> None:
    """p50 of 1..100 ms is 50 ms, p95 is 95 ms, p99.9 is the maximum."""
    stats = summarize([sample(i, latency=(i + 1) / 1000) for i in range(100)], 10.0)
    assert stats.value("p50") == pytest.approx(0.050)
    assert stats.value("p95") == pytest.approx(0.095)
    assert stats.value("p99.9") == pytest.approx(0.100)
    assert stats.value("max") == pytest.approx(0.100)
    assert stats.value("avg") == pytest.approx(0.0505)
    assert stats.value("rps") == 10.0 and stats.value("requests") == 100.0


def test_no_requests_is_no_data() -> None:
    """Latency metrics and the error rate have no value without requests; rps is 0."""
    stats = summarize([], 5.0)
    assert stats.value("p95") is None and stats.value("error_rate") is None and stats.value("rps") == 0.0


def test_a_request_belongs_to_the_phase_it_started_in() -> None:
    """A slow request started before a cut counts before it, by endpoint too."""
    samples = [sample(0.5, latency=3.0), sample(1.5), sample(2.5, endpoint="POST /orders", failed=True)]
    before = phase_stats(samples, Phase("before", 0.0, 1.0))
    after = phase_stats(samples, Phase("after", 1.0, 3.0))
    assert before.total.requests == 1 and before.total.value("max") == 3.0
    assert after.total.requests == 2 and after.total.error_rate == 0.5
    assert after.endpoint("POST /orders") is not None and after.endpoint("GET /nothing") is None
    assert after.describe() == "after: 2 requests (1.0/s), 50.00 % failed, p95 50 ms"


def test_drill_phases_are_cut_at_the_timeline_events() -> None:
    """before / during / after from 'injected' and the first recovery event after it."""
    timeline = Timeline("drill")
    t0 = timeline.t0
    timeline.mark("injected", at=t0 + 4.0)
    timeline.mark("reverted", at=t0 + 8.0)
    phases = drill_phases(timeline, t0 + 1.0, t0 + 12.0, recovery=("reverted",))
    assert [p.name for p in phases] == ["before", "during", "after"]
    bounds = [edge - t0 for p in phases for edge in (p.start, p.end)]
    assert bounds == pytest.approx([1.0, 4.0, 4.0, 8.0, 8.0, 12.0])
    assert [p.name for p in drill_phases(Timeline("calm"), 0.0, 1.0)] == ["before"]


def test_a_paced_window_holds_whole_periods() -> None:
    """10 users at 1/s: the judged window is a whole number of seconds, so every user counts exactly once each."""
    profile = LoadProfile("p", users=10, spawn_rate=10, duration=8, pacing=1.0, warmup=1.0)
    starts = [user / 10 + second for second in range(8) for user in range(10)]
    result = LoadResult(profile, "h", 0.0, 9.0, tuple(sample(s) for s in starts), (), "run-time", 0, Path("."), 7.45)
    window = result.window
    assert (window.start, window.end) == (1.0, 7.0)
    assert result.stats().total.rps == 10.0


def test_samples_are_read_incrementally_and_only_whole_lines(tmp_path: Path) -> None:
    """A line being written is left for the next read; markers and malformed lines are not requests."""
    path = tmp_path / "samples-41.csv"
    path.write_text("100.0,100.05,GET /products,50.0,0\n100.5,100.6,POST /orders,1")
    reader = SampleReader(tmp_path, wall_to_mono=-90.0)
    first = reader.read()
    assert [(s.start, s.endpoint, s.latency) for s in first] == [(10.0, "GET /products", pytest.approx(0.05))]
    with path.open("a") as fh:
        fh.write("00.0,1\n#stopping,101.0\nnot a sample\n101.0,101.1,GET /a,b,x,100.0,0\n")
    every = reader.read()
    assert [(s.endpoint, s.failed) for s in every] == [
        ("GET /products", False),
        ("POST /orders", True),
        ("GET /a,b,x", False),
    ]
    assert reader.stops == [11.0] and reader.malformed == 1


def test_locust_json_is_read_as_typed_entries(tmp_path: Path) -> None:
    """The format locust 2.47 writes with --json-file (histogram keys are milliseconds as strings)."""
    entry = {
        "name": "/products",
        "method": "GET",
        "last_request_timestamp": 1.0,
        "start_time": 0.0,
        "num_requests": 4,
        "num_none_requests": 0,
        "num_failures": 1,
        "total_response_time": 100,
        "max_response_time": 40,
        "min_response_time": 10,
        "total_content_length": 400,
        "response_times": {"10": 1, "20": 1, "30": 1, "40": 1},
        "num_reqs_per_sec": {"1": 4},
        "num_fail_per_sec": {"1": 1},
    }
    path = tmp_path / "stats.json"
    path.write_text(json.dumps([entry]))
    (parsed,) = read_locust_json(path)
    assert (parsed.endpoint, parsed.requests, parsed.failures) == ("GET /products", 4, 1)


def test_missing_or_broken_locust_json_is_a_target_error(tmp_path: Path) -> None:
    """A SIGKILLed locust writes nothing; a damaged file is not silently empty."""
    with pytest.raises(TargetError, match="wrote no statistics"):
        read_locust_json(tmp_path / "stats.json")
    (tmp_path / "stats.json").write_text('[{"name": "/x"}]')
    with pytest.raises(TargetError, match="unexpected locust statistics"):
        read_locust_json(tmp_path / "stats.json")
