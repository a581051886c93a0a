"""The capacity finder's search: double, then bisect; against a fine sweep on the same system model.

The system model is a stand-in for the target (a service with a fixed capacity), so the search logic is checked
exactly; the benchmark measures the finder against a sweep on the real sandbox.
"""

from __future__ import annotations

import pytest

from opsready.capacity.finder import FinderSettings, find_capacity, parse_finder, search
from opsready.capacity.measured import LoadStep, result_from_json
from opsready.errors import Loc, TargetError, UserError, ValidationError
from opsready.targets.capacity import ResourceUse
from opsready.yamlsrc import MapReader, parse_yaml


def service(capacity: float):  # type: ignore[no-untyped-def]
    """A measure function for a service that sustains ``capacity`` requests per second and no more."""
    calls: list[float] = []

    def measure(offered: float) -> LoadStep:
        calls.append(offered)
        achieved = min(offered, capacity)
        use = ResourceUse(1.0, achieved / 100, achieved / 200, achieved / 400, 200 * 2**20, 100 * 2**20, 12, 2)
        return LoadStep(offered, achieved, 0.05, 0.0, achieved >= 0.95 * offered, True, (), 5.0, use)

    measure.calls = calls  # type: ignore[attr-defined]
    return measure


def sweep(measure, start: float, step: float, limit: float) -> float:  # type: ignore[no-untyped-def]
    """The fine-grained sweep: every load from start upwards until one fails; the last that passed."""
    best, offered = 0.0, start
    while offered <= limit:
        result = measure(offered)
        if not result.ok:
            break
        best, offered = result.achieved_rps, offered + step
    return best


@pytest.mark.parametrize("capacity", [37.0, 133.0, 612.0, 1490.0])
def test_the_knee_is_within_resolution_of_a_sweep_in_a_third_of_the_steps(capacity: float) -> None:
    """Within 10 % of what a sweep in steps of 2 % of the capacity finds, with at most a third of its steps."""
    settings = FinderSettings(start=10.0, limit=2000.0, resolution=0.10)
    finder = service(capacity)
    best, limited, steps = search(finder, settings)
    swept = service(capacity)
    answer = sweep(swept, 10.0, capacity * 0.02, 2000.0)
    assert best is not None and not limited
    assert abs(best.achieved_rps - answer) / answer <= 0.10
    assert len(steps) * 3 <= len(swept.calls), f"{len(steps)} finder steps vs {len(swept.calls)} sweep steps"


def test_the_result_carries_the_resources_and_the_estimate_at_the_knee() -> None:
    """The estimate scales the use at the knee to 100 requests per second and to one unit; JSON round-trips."""
    result = find_capacity(
        service(200.0), FinderSettings(start=50.0, resolution=0.05), target="t", units=2, users=20, thresholds=()
    )
    assert 190 <= result.knee_rps <= 200 and result.estimate is not None and result.resources is not None
    assert result.estimate.cpu_cores_per_100_rps == pytest.approx(result.resources.cpu_cores * 100 / result.knee_rps)
    assert result.estimate.rps_per_unit == pytest.approx(result.knee_rps / 2)
    assert result.estimate.memory_mb_per_unit == pytest.approx(50.0)
    assert result_from_json(result.to_json(), "capacity.json") == result


def test_a_limit_passed_is_reported_as_at_least() -> None:
    """When even the limit is sustained, the capacity is 'at least' the limit."""
    best, limited, steps = search(service(10_000.0), FinderSettings(start=100.0, limit=400.0))
    assert limited and best is not None and best.offered_rps == 400.0 and len(steps) == 3


def test_failing_at_the_start_is_an_error() -> None:
    """A target that cannot take the first step has no knee to report."""
    with pytest.raises(TargetError, match="not met even at the starting load of 10/s"):
        find_capacity(service(5.0), FinderSettings(start=10.0), target="t", units=1, users=1, thresholds=())


def test_a_foreign_json_is_refused() -> None:
    """Only our own schema is read back."""
    with pytest.raises(UserError, match="not an opsready capacity result"):
        result_from_json('{"schema": "other/1"}', "x.json")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("start: 0\n", 1, "'start' must be greater than 0"),
        ("step_duration: 2s\nwarmup: 2s\n", 2, "'warmup' must be shorter"),
        ("resolution: 150%\n", 1, "percentage"),
    ],
)
def test_finder_mistakes_name_their_line(text: str, line: int, message: str) -> None:
    """A broken finder section is reported at its line."""
    with pytest.raises(ValidationError) as caught:
        parse_finder(MapReader(parse_yaml(text, "c.yaml"), Loc("c.yaml", 1), "finder"))
    assert message in caught.value.message
    assert caught.value.loc is not None and caught.value.loc.line == line


def test_an_overloaded_step_points_the_bisection_at_the_throughput_users_got() -> None:
    """Offered 1280/s, users got 612/s: the next probes bracket 612 at once instead of halving 640..1280."""
    best, _, steps = search(service(612.0), FinderSettings(start=10.0, resolution=0.05))
    offered = [s.offered_rps for s in steps]
    assert offered[:9] == [10, 20, 40, 80, 160, 320, 640, 1280, 1280], "a failure is confirmed once"
    assert len(offered) == 10 and best is not None and best.achieved_rps == 612.0


def test_a_failure_on_latency_bisects_from_the_middle() -> None:
    """A sustained step that broke a latency threshold says nothing about throughput: plain bisection."""

    def slow_above_100(offered: float) -> LoadStep:
        ok = offered <= 100
        return LoadStep(offered, offered, 0.05 if ok else 0.5, 0.0, True, ok, () if ok else ("p95",), 5.0)

    best, _, steps = search(slow_above_100, FinderSettings(start=10.0, resolution=0.05))
    assert [s.offered_rps for s in steps][5:] == [160.0, 120.0, 100.0, 110.0, 105.0]
    assert best is not None and best.offered_rps == 100.0
