"""Regenerate the sample traffic history ``loadtests/traffic-history.csv`` (deterministic: seeded).

Hourly requests per second over 26 weeks of an online shop: quiet nights, a lunchtime and an evening peak, quieter
weekends, about 1.8 % growth a week and a few percent of noise. Replace the file with your own export (same columns:
``timestamp`` in ISO 8601 UTC, ``rps``) to plan with real traffic.

    python loadtests/make_traffic_history.py
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

START = datetime(2026, 5, 25, tzinfo=UTC)  # a Monday
WEEKS = 26
PEAK_AT_START = 75.0  # requests per second, weekday evening peak in the first week
WEEKLY_GROWTH = 0.018
WEEKEND = {5: 0.72, 6: 0.62}  # Saturday, Sunday


def daily_shape(hour: float) -> float:
    """Share of the day's peak at an hour: a night trough, a lunch bump and the evening peak."""
    night = 0.12
    lunch = 0.78 * math.exp(-(((hour - 12.5) / 2.2) ** 2))
    evening = 1.0 * math.exp(-(((hour - 20.0) / 2.0) ** 2))
    morning = 0.45 * math.exp(-(((hour - 9.0) / 2.5) ** 2))
    return night + (1 - night) * max(lunch, evening, morning)


def main() -> None:
    """Write the CSV next to this script."""
    rng = random.Random(20261127)
    lines = ["timestamp,rps"]
    for hour in range(WEEKS * 7 * 24):
        at = START + timedelta(hours=hour)
        weeks = hour / (7 * 24)
        level = PEAK_AT_START * (1 + WEEKLY_GROWTH) ** weeks * WEEKEND.get(at.weekday(), 1.0)
        rps = level * daily_shape(at.hour) * rng.uniform(0.96, 1.04)
        lines.append(f"{at:%Y-%m-%dT%H:%M:%SZ},{rps:.1f}")
    Path(__file__).with_name("traffic-history.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
