"""Regenerate traffic-history.csv: two weeks of a shop's traffic, quietest 03:00-05:00 UTC and on Sundays.

Run ``python tests/data/maintenance/generate_history.py``; the output is deterministic (seeded jitter of +-3 %).
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

HOURLY = (8, 6, 5, 2.5, 2, 4.5, 7, 12, 22, 35, 45, 52, 58, 60, 60, 58, 55, 52, 48, 42, 35, 25, 16, 11)
WEEKDAY = (1.0, 1.0, 1.0, 1.0, 1.05, 0.8, 0.6)  # Monday .. Sunday
START = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)  # a Monday
STEP = dt.timedelta(minutes=15)


def main() -> None:
    """Write the CSV beside this script."""
    rng = random.Random(7)
    lines = ["timestamp,rps"]
    moment = START
    while moment < START + dt.timedelta(days=14):
        rps = HOURLY[moment.hour] * WEEKDAY[moment.weekday()] * rng.uniform(0.97, 1.03)
        lines.append(f"{moment:%Y-%m-%dT%H:%M:%SZ},{rps:.2f}")
        moment += STEP
    (Path(__file__).parent / "traffic-history.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
