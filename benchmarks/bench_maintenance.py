"""Maintenance procedures on a private PostgreSQL sandbox: backup with verified restore by database size,
housekeeping, a broken patch caught and rolled back under traffic, and the window finder by history size.

The story's KPI is "planned maintenance under 2 hours"; these figures show how far below it the sandbox's procedures
run and how backup and restore grow with the number of orders. Prints medians and ratios.

    .venv/bin/python benchmarks/bench_maintenance.py [--runs 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import tempfile
import time
from pathlib import Path

import psycopg
from _common import config, private_sandbox, summary

from opsready.config.maintenance import MaintenancePolicy
from opsready.maintenance.procedures import MaintenanceRequest
from opsready.maintenance.runner import MaintenanceRunner
from opsready.maintenance.window import find_window
from opsready.profile import traffic_of
from opsready.sandbox import database
from opsready.timeline import Timeline
from opsready.traffic import Traffic
from opsready.traffic_history import parse_history

SIZES = (1_000, 10_000, 100_000)


def _grow(target: object, total: int) -> None:
    """Bring the orders table to ``total`` rows with one INSERT ... SELECT (setup, not measured)."""
    sandbox = target.sandbox  # type: ignore[attr-defined]
    with psycopg.connect(database.admin_url(sandbox.layout, sandbox.ports(), database.PG_DB), autocommit=True) as conn:
        have = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
        conn.execute(
            "INSERT INTO orders (item, quantity, status, created_at) "
            "SELECT 'bench-' || g, 1 + g %% 5, 'fulfilled', 0 FROM generate_series(1, %s) g",
            (max(0, total - have),),
        )


def _history(days: int, minutes: int) -> str:
    start = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    rows = ["timestamp,rps"]
    for i in range(days * 1440 // minutes):
        moment = start + dt.timedelta(minutes=i * minutes)
        rows.append(f"{moment:%Y-%m-%dT%H:%M:%SZ},{10 + (moment.hour - 4) ** 2}")
    return "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="opsready-bench-maint-") as tmp, private_sandbox() as target:
        base = config()
        policy = dataclasses.replace(base.maintenance, records_dir=Path(tmp) / "r", comms_dir=Path(tmp) / "c")
        cfg = dataclasses.replace(base, maintenance=policy)

        def run(procedure: str, **kw: object) -> tuple[float, object]:
            tl = Timeline(procedure)
            request = MaintenanceRequest(procedure, force_reason="benchmark", backup_dir=Path(tmp) / "b", **kw)  # type: ignore[arg-type]
            record = MaintenanceRunner(cfg, target, tl).run(request)
            assert record.outcome in ("succeeded", "rolled_back"), record.summary()
            return record.seconds, record

        backups: dict[int, float] = {}
        for size in SIZES:
            _grow(target, size)
            takes, restores, totals = [], [], []
            for _ in range(args.runs):
                seconds, record = run("backup")
                takes.append(record.backup.seconds)  # type: ignore[attr-defined]
                restores.append(record.restore.seconds)  # type: ignore[attr-defined]
                totals.append(seconds)
            backups[size] = sorted(totals)[len(totals) // 2]
            print(summary(f"backup {size:>7} orders: pg_dump in snapshot", takes))
            print(summary(f"backup {size:>7} orders: restore into scratch + digest", restores))
            print(summary(f"backup {size:>7} orders: whole procedure (checks, notices)", totals))
        ratio = backups[SIZES[-1]] / backups[SIZES[0]]
        print(f"ratio: whole backup procedure at {SIZES[-1]} vs {SIZES[0]} orders: {ratio:.1f}x")
        print(
            summary("housekeeping (VACUUM ANALYZE) at 100k orders", [run("housekeeping")[0] for _ in range(args.runs)])
        )

        target.deploy("1.2.0", note="benchmark baseline")
        broken = []
        for _ in range(args.runs):
            with Traffic(target.base_url, clients=4, rate=40, max_seconds=120, journeys=traffic_of(target)):
                seconds, record = run("patch", release="1.2.1-broken")
            assert record.outcome == "rolled_back"  # type: ignore[attr-defined]
            broken.append(seconds)
        print(summary("broken patch caught and rolled back (whole procedure)", broken))

    for days, minutes in ((14, 15), (90, 1)):
        text = _history(days, minutes)
        history = parse_history(text, Path("synthetic.csv"))
        after = history.end
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            find_window(history, 7200, MaintenancePolicy(), after)
            times.append(time.perf_counter() - start)
        rows = len(history.points)
        print(summary(f"window finder, {rows} samples ({days} d every {minutes} min), 14-day horizon", times))


if __name__ == "__main__":
    main()
