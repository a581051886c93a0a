"""The capacity plan: its numbers derived from the measurement and the forecast, rendered by the shipped template."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import pytest

from opsready.capacity.forecast import forecast
from opsready.capacity.measured import CapacityResult, LoadStep, ResourceEstimate, load_result, save_result
from opsready.capacity.plan import PlanningSettings, build_plan, render_plan
from opsready.errors import UserError, ValidationError
from opsready.targets.capacity import ResourceUse
from opsready.traffic_history import load_history

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "runbooks/templates/capacity-plan.md.j2"


def measured(knee: float, units: int = 2) -> CapacityResult:
    """A finder result at ``knee`` requests per second."""
    use = ResourceUse(5.0, knee / 300, knee / 400, knee / 800, 300 * 2**20, 120 * 2**20, 14, units)
    steps = (
        LoadStep(knee, knee, 0.05, 0.0, True, True, (), 5.0, use),
        LoadStep(knee * 1.2, knee * 1.05, 0.4, 0.0, False, False, ("p95 < 300ms in phase run: measured 400 ms",), 5.0),
    )
    return CapacityResult(
        "sandbox",
        "2026-11-27T00:00:00Z",
        knee,
        knee,
        False,
        units,
        20,
        steps,
        use,
        ResourceEstimate.at(knee, use),
        30.0,
        ("p95 < 300ms",),
    )


@pytest.fixture(scope="module")
def fc():  # type: ignore[no-untyped-def]
    """The forecast of the shipped sample history."""
    return forecast(load_history(ROOT / "loadtests/traffic-history.csv"), timedelta(weeks=26), 4)


def test_headroom_exhaustion_and_units_follow_from_the_measurement(fc) -> None:  # type: ignore[no-untyped-def]
    """Usable capacity is capacity minus headroom; the exhaustion date is when the forecast peak reaches it."""
    plan = build_plan(measured(250.0), fc, PlanningSettings(headroom=0.3))
    assert plan.usable_rps == pytest.approx(175.0)
    assert plan.headroom_now == pytest.approx(1 - fc.current_peak / 250.0)
    when = fc.model.reaches(175.0)
    assert when is not None and plan.exhaustion == f"{when:%Y-%m-%d}"
    assert plan.units_needed == math.ceil(fc.peak_at_horizon / (125.0 * 0.7)) == 3
    assert plan.recommendation.startswith("Plan 3 units (now 2)")


def test_an_exhausted_capacity_says_scale_out_now(fc) -> None:  # type: ignore[no-untyped-def]
    """Capacity below today's peak plus headroom: act now."""
    plan = build_plan(measured(100.0), fc, PlanningSettings(headroom=0.3))
    assert plan.exhaustion == plan.history_last and plan.weeks_left == 0.0
    assert plan.recommendation.startswith("Scale out now")


def test_ample_capacity_needs_no_action(fc) -> None:  # type: ignore[no-untyped-def]
    """Far more capacity than the horizon's peak."""
    plan = build_plan(measured(5000.0), fc, PlanningSettings(headroom=0.3))
    assert plan.units_needed <= plan.units_now and plan.recommendation.startswith("No action needed")


def test_the_template_states_the_plans_numbers(fc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The rendered Markdown shows the measured and derived numbers and every step."""
    plan = build_plan(measured(300.0), fc, PlanningSettings())
    text = render_plan(plan, TEMPLATE)
    assert "| Measured capacity | 300.0 requests/s with 2 unit(s) |" in text
    assert f"usable: {plan.usable_rps:.1f} requests/s" in text and plan.recommendation in text
    assert "| 360.0 | 315.0 | 400 ms | 0.00 % | not sustained |" in text
    assert f"| Throughput per unit | {plan.estimate.rps_per_unit:.1f} requests/s |" in text  # type: ignore[union-attr]
    assert "{{" not in text and "{%" not in text


def test_template_mistakes_are_reported_at_their_line(fc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A misspelt name is an error, not an empty cell."""
    template = tmp_path / "plan.md.j2"
    template.write_text("# Plan\n{{ plan.capacity_rsp }}\n")
    with pytest.raises(ValidationError, match="capacity_rsp"):
        render_plan(build_plan(measured(300.0), fc, PlanningSettings()), template)
    template.write_text("# Plan\n\n{% if %}\n")
    with pytest.raises(ValidationError) as caught:
        render_plan(build_plan(measured(300.0), fc, PlanningSettings()), template)
    assert caught.value.loc is not None and caught.value.loc.line == 3


def test_the_measurement_is_saved_and_read_back(tmp_path: Path) -> None:
    """capacity.json round-trips; a missing one says how to measure."""
    result = measured(250.0)
    assert load_result(save_result(result, tmp_path / "capacity.json")) == result
    with pytest.raises(UserError, match="no measured capacity"):
        load_result(tmp_path / "missing.json")
