"""Forecasting from the traffic history: growth fitted to weekly peaks, checked on a held-out tail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opsready.capacity.forecast import forecast, weekly_peaks
from opsready.errors import UserError
from opsready.traffic_history import load_history

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "loadtests/traffic-history.csv"


def test_the_sample_has_a_weekly_pattern_and_growth() -> None:
    """26 whole weeks, hourly; weekends are quieter than weekdays; nights quieter than evenings."""
    history = load_history(SAMPLE)
    assert len(history.points) == 26 * 7 * 24 and len(weekly_peaks(history)) == 26
    week = history.points[-7 * 24 :]
    weekday = max(p.rps for p in week if p.at.weekday() < 5)
    sunday = max(p.rps for p in week if p.at.weekday() == 6)
    assert sunday < 0.75 * weekday
    assert min(p.rps for p in week) < 0.2 * weekday


def test_growth_is_recovered_and_the_held_out_weeks_are_forecast_closely() -> None:
    """The sample grows 1.8 % a week; fitted on 22 weeks, the last 4 weeks' peaks are forecast within 5 %."""
    fc = forecast(load_history(SAMPLE), timedelta(weeks=26), holdout=4)
    assert fc.model.weekly_growth == pytest.approx(0.018, abs=0.003)
    assert fc.validation.weeks == 4 and fc.validation.mape < 0.05
    assert fc.peak_at_horizon == pytest.approx(fc.current_peak * 1.018**26, rel=0.1)


def test_exhaustion_is_when_the_forecast_peak_reaches_the_usable_capacity() -> None:
    """The date solves peak(t) = usable; capacity already used up is the end of the history; no growth is never."""
    fc = forecast(load_history(SAMPLE), timedelta(weeks=26), holdout=4)
    usable = fc.current_peak * 1.5
    when = fc.exhausted_at(usable)
    assert when is not None and fc.model.peak(when) == pytest.approx(usable)
    weeks = (when - fc.last) / timedelta(weeks=1)
    assert 15 < weeks < 30  # ln(1.5) / ln(1.018) is about 23 weeks
    assert fc.exhausted_at(fc.current_peak * 0.9) == fc.last


def test_flat_traffic_is_never_exhausted(tmp_path: Path) -> None:
    """No growth, no exhaustion date."""
    start = datetime(2026, 1, 5, tzinfo=UTC)
    lines = ["timestamp,rps"] + [f"{start + timedelta(hours=h):%Y-%m-%dT%H:%M:%SZ},50" for h in range(6 * 7 * 24)]
    path = tmp_path / "flat.csv"
    path.write_text("\n".join(lines) + "\n")
    fc = forecast(load_history(path), timedelta(weeks=4), holdout=1)
    assert fc.exhausted_at(100.0) is None and fc.validation.mape == pytest.approx(0.0, abs=1e-9)


def test_the_forecast_reads_the_history_the_maintenance_window_finder_reads(tmp_path: Path) -> None:
    """One reader for both: extra columns are ignored and a timestamp without an offset is UTC (its mistakes, each
    at its line, are tested in tests/unit/maintenance/test_maintenance_history.py)."""
    start = datetime(2026, 1, 5, tzinfo=UTC)
    rows = [f"{start + timedelta(hours=h):%Y-%m-%dT%H:%M:%S},{50 + h % 24},eu" for h in range(6 * 7 * 24)]
    path = tmp_path / "history.csv"
    path.write_text("timestamp,rps,region\n" + "\n".join(rows) + "\n")
    fc = forecast(load_history(path), timedelta(weeks=4), holdout=1)
    assert fc.first == start and fc.points == 6 * 7 * 24 and len(fc.peaks) == 6


def test_too_short_a_history_is_refused(tmp_path: Path) -> None:
    """A forecast needs whole weeks to fit and some to hold out."""
    start = datetime(2026, 1, 5, tzinfo=UTC)
    path = tmp_path / "short.csv"
    path.write_text(
        "timestamp,rps\n" + "".join(f"{start + timedelta(days=d):%Y-%m-%dT%H:%M:%SZ},5\n" for d in range(20))
    )
    with pytest.raises(UserError, match="needs at least 4"):
        forecast(load_history(path), timedelta(weeks=4), holdout=1)
