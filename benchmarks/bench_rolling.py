"""Rolling deploys through the test fleet's HAProxy: what users see with and without draining, and how fast a
release only users' traffic shows is rolled back.

Three figures, on a fleet built for the run (needs root): (1) a rolling deploy of the two app hosts, drained one at a
time, under 64 requests/s of 300 ms requests through the balancer, and (2) the same without draining (the control),
each --runs times, alternating: requests, requests/s and failed requests from the users' own request log; (3) the
flawed release 5 (its users get 500 after 3.5 s, its health checks stay fine) deployed under 40 requests/s, --runs
times: deploy -> detected -> every switched host rolled back -> healthy, from the rollout's timeline.

    python benchmarks/bench_rolling.py [--runs 5]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from _common import ROOT, on_fleet, summary

sys.path.insert(0, str(ROOT))

from opsready.timeline import Timeline
from opsready.traffic import Traffic
from tests.fleet.fleet import Fleet
from tests.fleet.machine import DEGRADING_RELEASE
from tests.fleet.rolling_load import reset, under_load
from tests.fleet.target import open_fleet_target, rolling_yaml


def deploys(fleet: Fleet, directory: Path, runs: int) -> None:
    """Drained and not, alternating; users' figures for each."""
    figures: dict[str, list[tuple[int, float, int]]] = {"drained": [], "no drain (control)": []}
    for n in range(runs):
        for name, drain in (("drained", True), ("no drain (control)", False)):
            target = open_fleet_target(fleet, directory, rolling_yaml(fleet, drain=drain))
            try:
                report, seen, start, end = under_load(fleet, target, "2")
                during = seen.between(start, end + 0.5)
                figures[name].append((during.total, during.total / (end - start), during.failed))
                print(f"run {n + 1} {name}: {report.result}, {during.describe()}, {during.total / (end - start):.0f}/s")
            finally:
                reset(fleet, target)
                target.close()
    for name, rows in figures.items():
        print(
            f"{name}: requests {[r[0] for r in rows]}, median {statistics.median(r[1] for r in rows):.0f} requests/s, "
            f"failed {[r[2] for r in rows]} (median {statistics.median(r[2] for r in rows)})"
        )


def flawed(fleet: Fleet, directory: Path, runs: int) -> None:
    """Release 5 rolled out and back, timed by the rollout's own timeline."""
    times: dict[str, list[float]] = {}
    for n in range(runs):
        target = open_fleet_target(fleet, directory, rolling_yaml(fleet, soak="2s"))
        timeline = Timeline("flawed release")
        traffic = Traffic(fleet.balancer_url, clients=8, rate=40, max_seconds=60, paths=("/",)).start()
        try:
            time.sleep(0.5)
            report = target.roll_out(DEGRADING_RELEASE, timeline)
        finally:
            seen = traffic.stop()
            reset(fleet, target)
            target.close()
        assert report.restored == ("app2", "app1"), report
        for m in timeline.measurements:
            times.setdefault(m.name, []).append(m.seconds)
        print(f"run {n + 1}: {report.describe()} ({seen.describe()})")
    for name, values in times.items():
        print(summary(name, values))


def measure(fleet: Fleet, scratch: Path, runs: int) -> list[str]:
    """Both measurements on one fleet; nothing of theirs is left to report."""
    deploys(fleet, scratch, runs)
    flawed(fleet, scratch, runs)
    return []


if __name__ == "__main__":
    sys.exit(on_fleet(__doc__ or "", 5, measure))
