"""Backup with a verified restore on the test fleet's database host, over SSH: how long the maintenance procedure's
work takes (online backup with its digest, restore into a scratch database, digest compared, scratch removed).

On a fleet built for the run (needs root), a SQLite orders database of 1,000 and of 50,000 orders on the db host;
--runs times each, through the maintenance capability's ``backup`` work (the code ``opsready maintenance run backup``
runs), every run checked: restore ok and scratch removed. Backups are removed between runs.

    python benchmarks/bench_host_backup.py [--runs 5]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from _common import ROOT, on_fleet, summary

sys.path.insert(0, str(ROOT))

from opsready.config import load_config
from opsready.hosts.adapter import open_target
from opsready.maintenance.procedures import Context, MaintenanceRequest, backup
from opsready.timeline import Timeline
from tests.fleet.fleet import Fleet
from tests.fleet.maint import BACKUPS, clean_hosts, maintenance_yaml, seed_database


def measure(fleet: Fleet, tmp: Path, runs: int) -> list[str]:
    """Median backup + verified restore per database size; what was left on the db host."""
    path = tmp / "opsready.yaml"
    path.write_text(maintenance_yaml(fleet, tmp), encoding="utf-8")
    config = load_config(path)
    target = open_target(config, config.target("fleet"))
    left: list[str] = []
    try:
        db = target.connection("db")
        for rows in (1_000, 50_000):
            seed_database(db, rows)
            seconds, sizes = [], []
            for _ in range(runs):
                ctx = Context(config, target, Timeline("backup"), lambda _: None, MaintenanceRequest("backup"))
                start = time.monotonic()
                work = backup(ctx)
                seconds.append(time.monotonic() - start)
                assert work.outcome == "succeeded" and work.restore is not None, work.validation
                assert work.backup is not None and work.backup.digest.orders == rows
                sizes.append(work.backup.size_bytes)
                db.check(f"rm -rf {BACKUPS}")
            print(summary(f"backup + verified restore, {rows:,} orders ({sizes[0] / 1024:.0f} KiB)", seconds))
        clean_hosts(target)
        left = db.check("ls -A /srv").stdout.split()
        left = [name for name in left if name in ("db", "backups")]
    finally:
        target.close()
    return left


if __name__ == "__main__":
    sys.exit(on_fleet(__doc__ or "", 5, measure))
