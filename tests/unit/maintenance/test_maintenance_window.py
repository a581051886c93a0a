"""The window finder on the shipped sample history and on small hand-made ones."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from opsready.config.maintenance import AllowedWindow, Freeze, MaintenancePolicy
from opsready.errors import UsageError
from opsready.maintenance.window import find_window, format_range
from opsready.traffic_history import load_history, parse_history

SAMPLE = load_history(Path(__file__).resolve().parents[2] / "data" / "maintenance" / "traffic-history.csv")
AFTER = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)  # a Tuesday


def test_the_quietest_two_hours_are_sunday_night() -> None:
    """The sample is quietest 03:00-05:00 UTC, and Sundays are the quietest day: the weekly profile finds it."""
    choice = find_window(SAMPLE, 7200, MaintenancePolicy(), AFTER)
    assert format_range(choice.best) == "Sun 2026-12-06 03:00 to 05:00 UTC"
    assert choice.profile == "weekly"
    # the expected requests are the two Sundays' samples in those hours, averaged: recompute them from the file
    hours = [p.rps for p in SAMPLE.points if p.at.weekday() == 6 and 3 <= p.at.hour < 5]
    assert len(hours) == 16
    assert choice.best.expected_requests == pytest.approx(sum(hours) / 2 * 900)
    assert choice.share_of_day < 0.01
    assert choice.busiest.expected_requests > 40 * choice.best.expected_requests


def test_a_freeze_moves_the_window_to_the_next_quiet_night() -> None:
    """Freezing that weekend moves the window a week on, and the explanation counts what the freeze ruled out."""
    freeze = Freeze("weekend", dt.datetime(2026, 12, 5, tzinfo=dt.UTC), dt.datetime(2026, 12, 7, tzinfo=dt.UTC))
    choice = find_window(SAMPLE, 7200, MaintenancePolicy(freezes=(freeze,)), AFTER)
    assert format_range(choice.best) == "Sun 2026-12-13 03:00 to 05:00 UTC"
    assert dict(choice.skipped)["change freeze 'weekend'"] == 2 * 96 + 7, "start times whose 2 h touch the freeze"
    assert "skipped" in choice.explain() and "weekend" in choice.explain()


def test_allowed_windows_limit_the_choice() -> None:
    """Only weekday mornings allowed: the quietest two hours inside them."""
    mornings = AllowedWindow((0, 1, 2, 3, 4), 6 * 60, 10 * 60)
    choice = find_window(SAMPLE, 7200, MaintenancePolicy(allowed_windows=(mornings,)), AFTER)
    assert choice.best.start.weekday() < 5
    assert choice.best.start.hour == 6, choice.explain()


def test_a_short_history_gives_a_daily_profile() -> None:
    """Less than a week of history: by time of day; the window may cross midnight."""
    rows = ["timestamp,rps"] + [f"2026-11-02T{h:02d}:00:00Z,{1 if h in (23, 0) else 50}" for h in range(24)]
    history = parse_history("\n".join(rows) + "\n", Path("day.csv"))
    choice = find_window(history, 7200, MaintenancePolicy(), AFTER)
    assert choice.profile == "daily"
    assert (choice.best.start.hour, choice.best.end.hour) == (23, 1)
    assert choice.best.expected_requests == 2 * 3600


@pytest.mark.parametrize(
    ("length", "policy", "message"),
    [
        (25 * 3600, MaintenancePolicy(max_duration=86400 * 2), "at most a day"),
        (0, MaintenancePolicy(), "longer than zero"),
        (3 * 3600, MaintenancePolicy(), "exceeds the planned-maintenance limit"),
        (
            7200,
            MaintenancePolicy(freezes=(Freeze("all", AFTER, AFTER + dt.timedelta(days=30)),)),
            "no allowed 2 h window",
        ),
    ],
)
def test_impossible_requests_are_usage_errors(length: float, policy: MaintenancePolicy, message: str) -> None:
    """Too long, empty, over the KPI, or everything frozen: a clear UsageError."""
    with pytest.raises(UsageError, match=message):
        find_window(SAMPLE, length, policy, AFTER)
