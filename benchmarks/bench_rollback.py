"""Rollback drill end to end: a bad release deployed -> detected -> rolled back -> healthy, on a private sandbox.

Goal (issue 2): under 10 s median on a 2-core machine. Each run deploys a flawed training release through the real
procedure (pre-deploy checklist, switch, soak with rollback triggers, automatic rollback, wait healthy) with background
traffic, and times from the start of the deployment to healthy again. Prints medians per flaw and overall.

    .venv/bin/python benchmarks/bench_rollback.py [--runs 5]
"""

from __future__ import annotations

import argparse

from _common import config, private_sandbox, summary

from opsready.deploy.procedure import Procedures
from opsready.profile import traffic_of
from opsready.timeline import Timeline
from opsready.traffic import Traffic

FLAWS = ("1.3.0-errors", "1.3.0-slow", "1.3.0-unready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per flawed release")
    args = parser.parse_args()
    cfg = config()
    everything: list[float] = []
    with private_sandbox() as target:
        target.deploy("1.2.0", note="benchmark baseline")
        for flaw in FLAWS:
            totals, detects, rollbacks = [], [], []
            for _ in range(args.runs):
                tl = Timeline(f"bench {flaw}")
                with Traffic(target.base_url, clients=4, rate=40, max_seconds=120, journeys=traffic_of(target)):
                    outcome = Procedures(cfg, target, tl).deploy(flaw)
                assert outcome.result == "rolled_back", f"{flaw} was not rolled back"
                totals.append(tl.between("deploy_started", "healthy") or 0.0)
                detects.append(tl.between("deployed", "detected") or 0.0)
                rollbacks.append(tl.between("detected", "rolled_back") or 0.0)
                everything.append(totals[-1])
            print(summary(f"{flaw}: deploy -> healthy", totals))
            print(summary(f"{flaw}: time to detect", detects))
            print(summary(f"{flaw}: time to roll back", rollbacks))
    print(summary("rollback drill end to end (all flaws)", everything))


if __name__ == "__main__":
    main()
