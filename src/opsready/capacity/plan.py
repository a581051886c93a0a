"""The capacity plan: measured capacity, forecast demand, headroom, the date capacity runs out and what to do about
it, rendered from the Jinja2 template ``runbooks/templates/capacity-plan.md.j2`` to ``reports/capacity-plan.md``.

Every number in the plan is derived here from the measured result and the forecast, never typed by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from opsready.capacity.forecast import Forecast
from opsready.capacity.measured import CapacityResult, LoadStep, ResourceEstimate
from opsready.errors import Loc, UserError, ValidationError
from opsready.textfile import read_text
from opsready.yamlsrc import MapReader

TEMPLATE = Path("runbooks/templates/capacity-plan.md.j2")


@dataclass(frozen=True)
class PlanningSettings:
    """Inputs of the plan besides the measurements."""

    headroom: float = 0.30
    history: Path = Path("loadtests/traffic-history.csv")
    horizon: float = 26 * 7 * 86400.0
    holdout: int = 4
    template: Path = TEMPLATE
    output: Path = Path("reports/capacity-plan.md")


def parse_planning(r: MapReader | None) -> PlanningSettings:
    """The ``planning`` section of a capacity file (defaults when absent)."""
    if r is None:
        return PlanningSettings()
    d = PlanningSettings()
    settings = PlanningSettings(
        headroom=r.percent("headroom", d.headroom),
        history=Path(r.string("history", str(d.history))),
        horizon=r.duration("horizon", d.horizon),
        holdout=r.integer("holdout_weeks", d.holdout, minimum=1),
        template=Path(r.string("template", str(d.template))),
        output=Path(r.string("output", str(d.output))),
    )
    if settings.headroom >= 1:
        raise ValidationError("planning: 'headroom' must be below 100%", r.loc_of("headroom"))
    if settings.horizon < 7 * 86400:
        raise ValidationError("planning: 'horizon' must be at least a week", r.loc_of("horizon"))
    r.done()
    return settings


@dataclass(frozen=True)
class CapacityPlan:
    """Everything the plan states."""

    generated: str
    target: str
    measured_at: str
    capacity_rps: float
    capacity_limited: bool
    headroom: float
    usable_rps: float
    current_peak_rps: float
    headroom_now: float  # share of capacity still free at the current peak
    weekly_growth: float
    history_first: str
    history_last: str
    history_points: int
    validation_weeks: int
    validation_mape: float
    horizon_end: str
    peak_at_horizon_rps: float
    exhaustion: str | None  # date the usable capacity is reached, None when never at this trend
    weeks_left: float | None
    units_now: int
    units_needed: int  # units to serve the horizon's peak within the headroom
    recommendation: str
    estimate: ResourceEstimate | None
    steps: tuple[LoadStep, ...]
    thresholds: tuple[str, ...]


def _day(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d")


def _recommend(exhausted: datetime | None, last: datetime, horizon_end: datetime, units: int, needed: int) -> str:
    if exhausted is not None and exhausted <= last:
        return f"Scale out now: the current peak already uses the headroom. Run {needed} units (now {units})."
    if exhausted is not None and exhausted <= horizon_end:
        lead = _day(exhausted - timedelta(weeks=4))
        return (
            f"Plan {needed} units (now {units}) and have them serving by {lead}, four weeks before {_day(exhausted)}."
        )
    if needed > units:
        return f"No shortfall before {_day(horizon_end)} at this trend; {needed} units keep the headroom at its end."
    return f"No action needed before {_day(horizon_end)}: {units} units keep the headroom. Re-plan next quarter."


def build_plan(measured: CapacityResult, fc: Forecast, settings: PlanningSettings) -> CapacityPlan:
    """Combine the measured capacity and the forecast into the plan's numbers."""
    if measured.knee_rps <= 0:
        raise UserError("the measured capacity is 0 requests per second: nothing to plan with")
    usable = measured.knee_rps * (1 - settings.headroom)
    exhausted = fc.exhausted_at(usable)
    per_unit = measured.knee_rps / max(1, measured.units)
    needed = max(1, math.ceil(fc.peak_at_horizon / (per_unit * (1 - settings.headroom))))
    weeks_left = None if exhausted is None else max(0.0, (exhausted - fc.last).total_seconds() / (7 * 86400))
    return CapacityPlan(
        generated=datetime.now(tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        target=measured.target,
        measured_at=measured.measured_at,
        capacity_rps=measured.knee_rps,
        capacity_limited=measured.limited,
        headroom=settings.headroom,
        usable_rps=usable,
        current_peak_rps=fc.current_peak,
        headroom_now=1 - fc.current_peak / measured.knee_rps,
        weekly_growth=fc.model.weekly_growth,
        history_first=_day(fc.first),
        history_last=_day(fc.last),
        history_points=fc.points,
        validation_weeks=fc.validation.weeks,
        validation_mape=fc.validation.mape,
        horizon_end=_day(fc.horizon_end),
        peak_at_horizon_rps=fc.peak_at_horizon,
        exhaustion=None if exhausted is None else _day(exhausted),
        weeks_left=weeks_left,
        units_now=measured.units,
        units_needed=needed,
        recommendation=_recommend(exhausted, fc.last, fc.horizon_end, measured.units, needed),
        estimate=measured.estimate,
        steps=measured.steps,
        thresholds=measured.thresholds,
    )


def render_plan(plan: CapacityPlan, template: Path) -> str:
    """The plan as Markdown, from a Jinja2 template (undefined names are errors, not blanks)."""
    import jinja2

    source = read_text(template, "capacity plan template")
    # the plan is Markdown, not HTML: no autoescaping; a name the template misspells is an error, not a blank
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    try:
        return env.from_string(source).render(plan=plan)
    except jinja2.TemplateSyntaxError as exc:
        raise ValidationError(f"template error: {exc.message}", Loc(str(template), exc.lineno or 0)) from None
    except jinja2.UndefinedError as exc:
        raise ValidationError(f"template error: {exc.message}", Loc(str(template))) from None
