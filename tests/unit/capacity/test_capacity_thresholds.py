"""Thresholds per endpoint and per phase, checked against statistics computed from requests."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from opsready.capacity.results import Phase, RequestSample, phase_stats
from opsready.capacity.settings import load_settings
from opsready.capacity.thresholds import parse_thresholds
from opsready.errors import Loc, ValidationError
from opsready.yamlsrc import MapReader, parse_yaml

ROOT = Path(__file__).resolve().parents[3]


def requests(
    starts: Iterable[float], latency: float = 0.05, endpoint: str = "GET /products", failed: bool = False
) -> list[RequestSample]:
    """One request per start time, all with the same latency."""
    return [RequestSample(s, s + latency, endpoint, latency, failed) for s in starts]


FILE = """\
thresholds:
  - p95 < 300ms
  - error_rate < 1%
  - rps > 5
endpoints:
  POST /orders:
    - p95 < 100ms
phases:
  during:
    thresholds:
      - p95 < 2s
"""


def thresholds(text: str = FILE):  # type: ignore[no-untyped-def]
    """Parse thresholds from YAML text as the capacity file does."""
    return parse_thresholds(MapReader(parse_yaml(text, "capacity.yaml"), Loc("capacity.yaml", 1), "capacity.yaml"))


def test_a_phase_replaces_only_the_bounds_it_names() -> None:
    """'during' relaxes p95 for all endpoints; error rate, rps and the endpoint's own bound still apply."""
    during = [t.describe() for t in thresholds().for_phase("during")]
    assert during == ["error_rate < 1%", "rps > 5", "p95 < 100ms (POST /orders)", "p95 < 2s"]
    before = [t.describe() for t in thresholds().for_phase("before")]
    assert before == ["p95 < 300ms", "error_rate < 1%", "rps > 5", "p95 < 100ms (POST /orders)"]


def test_violations_name_threshold_measured_value_and_phase() -> None:
    """A slow phase fails p95 and says by how much, where."""
    samples = requests([i / 10 for i in range(100)], latency=0.5) + requests(
        [i / 10 for i in range(100)], latency=0.05, endpoint="POST /orders"
    )
    stats = phase_stats(samples, Phase("before", 0.0, 10.0))
    verdict = thresholds().verdict([stats])
    assert not verdict.ok
    assert [c.describe() for c in verdict.violations] == ["p95 < 300ms in phase before: measured 500 ms VIOLATED"]
    during = thresholds().verdict([phase_stats(samples, Phase("during", 0.0, 10.0))])
    assert during.ok, during.describe()


def test_an_endpoint_without_requests_does_not_pass() -> None:
    """No evidence is no pass: the endpoint's threshold is reported with 'no data'."""
    stats = phase_stats(requests([i / 10 for i in range(100)]), Phase("run", 0.0, 10.0))
    verdict = thresholds().verdict([stats])
    assert [c.describe() for c in verdict.violations] == [
        "p95 < 100ms (POST /orders) in phase run: measured no data VIOLATED"
    ]


def test_errors_count_against_the_error_rate() -> None:
    """2 failures in 100 requests is 2 %."""
    samples = requests(range(98)) + requests([98, 99], failed=True)
    checks = thresholds("thresholds: [error_rate < 1%]\n").check(phase_stats(samples, Phase("run", 0, 100)))
    assert [(c.ok, c.measured) for c in checks] == [(False, pytest.approx(0.02))]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("thresholds:\n  - p95 < 300ms\n  - p95 < 300\n", 3, "a latency needs a unit"),
        ("endpoints:\n  /orders:\n    - p95 < 1s\n", 2, "named 'METHOD name'"),
        ("phases:\n  during:\n    thresholds: [p95 < 1s]\n    endpionts: {}\n", 4, "unknown key 'endpionts'"),
    ],
)
def test_malformed_thresholds_name_their_line(text: str, line: int, message: str) -> None:
    """Mistakes are reported at the line they were written on."""
    with pytest.raises(ValidationError) as caught:
        thresholds(text)
    assert message in caught.value.message
    assert caught.value.loc is not None and caught.value.loc.line == line


def test_the_shipped_capacity_file_is_valid() -> None:
    """loadtests/capacity.yaml and the profiles it names load; the planned load is paced."""
    settings = load_settings(ROOT / "loadtests/capacity.yaml", ROOT)
    assert settings.profile().offered_rps == 20.0
    assert settings.scaling is not None and settings.scaling.min_units <= settings.scaling.max_units
    assert settings.locustfile.is_file()
    assert {"planned", "fault", "rising", "finder"} <= set(settings.profiles)


def test_a_capacity_file_naming_an_unknown_profile(tmp_path: Path) -> None:
    """planned_load must be a profile of the profiles file: the line of the key is named."""
    path = tmp_path / "capacity.yaml"
    path.write_text(f"version: 1\nprofiles: {ROOT}/loadtests/profiles.yaml\nplanned_load: planed\n")
    with pytest.raises(ValidationError) as caught:
        load_settings(path, ROOT)
    assert caught.value.loc == Loc(str(path), 3)
    assert "did you mean 'planned'" in caught.value.message
