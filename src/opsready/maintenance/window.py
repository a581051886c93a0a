"""The maintenance window finder: the quietest window of a given length in the coming days, by the traffic history.

The history becomes a profile of expected requests per second: by hour of the week when it covers at least a week
(weekends differ from weekdays), else by time of day. Every candidate start in the horizon, on the history's own
sampling grid, is scored by the requests users are expected to send during the window; candidates that overlap a
change freeze or leave the allowed windows are skipped. The explanation compares the choice with the busiest
window of the same length, so the expected user impact reads in proportion.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from opsready.config.maintenance import DAY, MaintenancePolicy
from opsready.errors import UsageError
from opsready.traffic_history import TrafficHistory

WEEK = 7 * DAY
EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)  # a Monday: profile slots count from Monday 00:00 UTC
DEFAULT_HORIZON = 14 * DAY


@dataclass(frozen=True)
class Profile:
    """Average requests per second per slot of a day or a week."""

    period: float
    interval: float
    rps: tuple[float | None, ...]  # None where the history had no sample

    @property
    def kind(self) -> str:
        """'weekly' or 'daily'."""
        return "weekly" if self.period == WEEK else "daily"

    def at(self, moment: dt.datetime) -> float | None:
        """Expected requests per second at ``moment``."""
        offset = (moment - EPOCH).total_seconds() % self.period
        return self.rps[int(offset // self.interval)]


def build_profile(history: TrafficHistory) -> Profile:
    """Average the history per slot of the week (when it covers one) or of the day."""
    period = WEEK if history.span >= WEEK else DAY
    if period % history.interval:
        raise UsageError(
            f"{history.path}: the sampling interval ({history.interval:g} s) must divide a day evenly",
            hint="use samples every 1, 5, 10, 15, 30 or 60 minutes",
        )
    slots = int(period // history.interval)
    sums, counts = [0.0] * slots, [0] * slots
    for point in history.points:
        slot = int(((point.at - EPOCH).total_seconds() % period) // history.interval)
        sums[slot] += point.rps
        counts[slot] += 1
    rps = tuple(s / c if c else None for s, c in zip(sums, counts, strict=True))
    return Profile(period, history.interval, rps)


@dataclass(frozen=True)
class Window:
    """A concrete maintenance window and the traffic expected in it."""

    start: dt.datetime
    end: dt.datetime
    expected_requests: float
    peak_rps: float

    @property
    def mean_rps(self) -> float:
        """Average requests per second expected in the window."""
        return self.expected_requests / (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class WindowChoice:
    """The chosen window, what it is compared with, and why other times were passed over."""

    best: Window
    busiest: Window
    daily_requests: float
    profile: str
    candidates: int
    skipped: tuple[tuple[str, int], ...]  # (reason, candidates skipped for it)

    @property
    def share_of_day(self) -> float:
        """The window's expected requests as a share of an average day's."""
        return self.best.expected_requests / self.daily_requests if self.daily_requests else 0.0

    def explain(self) -> str:
        """A few sentences for people: the window, the users it touches, and what was avoided."""
        best, busy = self.best, self.busiest
        lines = [
            f"quietest {format_length(best)} window: {format_range(best)}",
            f"expected user impact: about {best.expected_requests:,.0f} requests in the window "
            f"({best.mean_rps:.1f} req/s on average, peak {best.peak_rps:.1f} req/s), "
            f"{self.share_of_day:.1%} of an average day's traffic",
            f"for comparison, the busiest {format_length(best)} in the horizon expects "
            f"{busy.expected_requests:,.0f} requests ({format_range(busy)})",
            f"based on a {self.profile} traffic profile; {self.candidates} start times considered",
        ]
        lines += [f"skipped {count} start time(s): {reason}" for reason, count in self.skipped]
        return "\n".join(lines)


def format_range(window: Window) -> str:
    """'Sun 2026-12-06 03:00 to 05:00 UTC'."""
    same_day = window.start.date() == (window.end - dt.timedelta(seconds=1)).date()
    end = window.end.strftime("%H:%M") if same_day else window.end.strftime("%a %Y-%m-%d %H:%M")
    return f"{window.start.strftime('%a %Y-%m-%d %H:%M')} to {end} UTC"


def format_length(window: Window) -> str:
    """'2 h' or '90 min'."""
    minutes = round((window.end - window.start).total_seconds() / 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


class _Series:
    """Expected rps on the grid from ``first`` on, with prefix sums: each window is scored in O(1) (peaks in O(n))."""

    def __init__(self, profile: Profile, first: dt.datetime, count: int) -> None:
        self.interval = profile.interval
        base = int(((first - EPOCH).total_seconds() % profile.period) // profile.interval)
        slots = len(profile.rps)
        self.rps = [profile.rps[(base + i) % slots] for i in range(count)]
        self.sums, self.gaps = [0.0], [0]
        for value in self.rps:
            self.sums.append(self.sums[-1] + (value or 0.0))
            self.gaps.append(self.gaps[-1] + (value is None))

    def score(self, index: int, length: float) -> tuple[float, float] | None:
        """(expected requests, peak rps) of the window starting at grid ``index``, or None over a gap."""
        full, rest = divmod(length, self.interval)
        end = index + int(full) + (1 if rest else 0)
        if self.gaps[end] - self.gaps[index]:
            return None
        total = (self.sums[index + int(full)] - self.sums[index]) * self.interval
        if rest:
            total += (self.rps[end - 1] or 0.0) * rest
        peak = max(v or 0.0 for v in self.rps[index:end])
        return total, peak


def find_window(
    history: TrafficHistory,
    length: float,
    policy: MaintenancePolicy,
    after: dt.datetime,
    horizon: float = DEFAULT_HORIZON,
) -> WindowChoice:
    """The quietest allowed window of ``length`` seconds starting within ``horizon`` after ``after``."""
    if not 0 < length <= DAY:
        raise UsageError(f"a maintenance window must be longer than zero and at most a day (asked for {length:g} s)")
    if length > policy.max_duration:
        raise UsageError(
            f"a {length / 3600:g} h window exceeds the planned-maintenance limit of {policy.max_duration / 3600:g} h",
            hint="split the work, or raise maintenance.max_duration in opsready.yaml",
        )
    profile = build_profile(history)
    grid = profile.interval
    offset = (after - EPOCH).total_seconds()
    first = EPOCH + dt.timedelta(seconds=math.ceil(offset / grid) * grid)
    best: Window | None = None
    busiest: Window | None = None
    skipped: dict[str, int] = {}
    considered = 0
    starts = int(horizon // grid)
    series = _Series(profile, first, starts + math.ceil(length / grid))
    for i in range(starts):
        start = first + dt.timedelta(seconds=i * grid)
        end = start + dt.timedelta(seconds=length)
        scored = series.score(i, length)
        if scored is None:
            skipped["no traffic history for that time"] = skipped.get("no traffic history for that time", 0) + 1
            continue
        window = Window(start, end, scored[0], scored[1])
        if busiest is None or window.expected_requests > busiest.expected_requests:
            busiest = window
        freeze = policy.freeze_at(start, end)
        if freeze is not None:
            reason = f"change freeze '{freeze.name}'"
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        if policy.allowed_windows and policy.window_for(start, end) is None:
            skipped["outside the allowed windows"] = skipped.get("outside the allowed windows", 0) + 1
            continue
        considered += 1
        if best is None or window.expected_requests < best.expected_requests - 1e-9:
            best = window
    if best is None or busiest is None:
        reasons = "; ".join(f"{n} start time(s): {r}" for r, n in skipped.items()) or "no start time"
        raise UsageError(
            f"no allowed {length / 3600:g} h window in the {horizon / DAY:g} days after {after:%Y-%m-%d %H:%M} UTC "
            f"({reasons})"
        )
    daily = sum(r or 0.0 for r in profile.rps) * profile.interval * DAY / profile.period
    return WindowChoice(best, busiest, daily, profile.kind, considered, tuple(skipped.items()))
