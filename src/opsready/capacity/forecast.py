"""Forecast peak demand from a traffic history, and when the measured capacity runs out.

The history is a CSV file with a header ``timestamp,rps``: ISO 8601 UTC timestamps (``2026-05-25T13:00:00Z``) and
requests per second, any regular interval (hourly in the shipped sample), read by :mod:`opsready.traffic_history`
(the same reader the maintenance window finder uses). Capacity is about peaks, so the model works
on weekly peaks, which also removes the weekly pattern: it fits exponential growth (a straight line through the
logarithm of the weekly peaks, least squares) and extrapolates it. :func:`validate` fits on all but the last weeks
and compares the forecast for those held-out weeks with what really happened.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from opsready.errors import UserError
from opsready.traffic_history import TrafficHistory

WEEK = timedelta(days=7)
MIN_WEEKS = 4


@dataclass(frozen=True)
class WeeklyPeak:
    """The highest rate of one whole week of history."""

    week_start: datetime
    peak: float


@dataclass(frozen=True)
class GrowthModel:
    """ln(weekly peak) = intercept + slope x days since ``origin``."""

    origin: datetime
    intercept: float
    slope: float  # per day

    @property
    def weekly_growth(self) -> float:
        """Growth of the peak per week (0.02 = 2 % a week)."""
        return math.exp(self.slope * 7) - 1

    def peak(self, at: datetime) -> float:
        """The forecast weekly peak of the week starting at ``at``."""
        return math.exp(self.intercept + self.slope * (at - self.origin).total_seconds() / 86400)

    def reaches(self, rps: float) -> datetime | None:
        """When the forecast peak first reaches ``rps`` (None when it never grows)."""
        if self.slope <= 0:
            return None
        return self.origin + timedelta(days=(math.log(rps) - self.intercept) / self.slope)


@dataclass(frozen=True)
class Validation:
    """The forecast for held-out weeks against what happened in them."""

    weeks: int
    actual: tuple[float, ...]
    predicted: tuple[float, ...]

    @property
    def mape(self) -> float:
        """Mean absolute percentage error (0.05 = 5 %)."""
        return statistics.fmean(abs(p - a) / a for a, p in zip(self.actual, self.predicted, strict=True))


def weekly_peaks(history: TrafficHistory) -> tuple[WeeklyPeak, ...]:
    """The peak of every whole week from the first point on (a partial last week is left out: it may lack its peak)."""
    points = history.points
    start = points[0].at
    peaks: dict[int, float] = {}
    for point in points:
        index = int((point.at - start) / WEEK)
        peaks[index] = max(peaks.get(index, 0.0), point.rps)
    whole = int((points[-1].at - start) / WEEK)
    if points[-1].at - start - whole * WEEK >= WEEK - timedelta(seconds=history.interval):
        whole += 1
    return tuple(WeeklyPeak(start + i * WEEK, peaks[i]) for i in range(whole) if peaks.get(i, 0) > 0)


def fit(peaks: tuple[WeeklyPeak, ...]) -> GrowthModel:
    """Exponential growth through the weekly peaks (least squares on their logarithm)."""
    if len(peaks) < MIN_WEEKS:
        raise UserError(f"the traffic history holds {len(peaks)} whole week(s); a forecast needs at least {MIN_WEEKS}")
    origin = peaks[0].week_start
    days = [(p.week_start - origin).total_seconds() / 86400 for p in peaks]
    slope, intercept = statistics.linear_regression(days, [math.log(p.peak) for p in peaks])
    return GrowthModel(origin=origin, intercept=intercept, slope=slope)


def validate(peaks: tuple[WeeklyPeak, ...], holdout: int) -> Validation:
    """Fit on all but the last ``holdout`` weeks and forecast those."""
    if holdout < 1 or len(peaks) - holdout < MIN_WEEKS:
        raise UserError(f"holding out {holdout} of {len(peaks)} weeks leaves too few to fit (need {MIN_WEEKS})")
    model = fit(peaks[:-holdout])
    tail = peaks[-holdout:]
    return Validation(holdout, tuple(p.peak for p in tail), tuple(model.peak(p.week_start) for p in tail))


@dataclass(frozen=True)
class Forecast:
    """Growth fitted on the whole history, its check on held-out weeks, and the peak expected at the horizon."""

    points: int
    first: datetime
    last: datetime
    peaks: tuple[WeeklyPeak, ...]
    model: GrowthModel
    validation: Validation
    horizon_end: datetime
    peak_at_horizon: float

    @property
    def current_peak(self) -> float:
        """The peak of the last whole week."""
        return self.peaks[-1].peak

    def exhausted_at(self, usable_rps: float) -> datetime | None:
        """When the peak reaches ``usable_rps``: the end of the history if it already has, None if never."""
        if self.current_peak >= usable_rps:
            return self.last
        return self.model.reaches(usable_rps)


def forecast(history: TrafficHistory, horizon: timedelta, holdout: int) -> Forecast:
    """Fit, validate on a held-out tail, and forecast the peak ``horizon`` after the end of the history."""
    points = history.points
    peaks = weekly_peaks(history)
    model = fit(peaks)
    end = points[-1].at + horizon
    return Forecast(
        points=len(points),
        first=points[0].at,
        last=points[-1].at,
        peaks=peaks,
        model=model,
        validation=validate(peaks, holdout),
        horizon_end=end,
        peak_at_horizon=model.peak(end - WEEK),
    )
