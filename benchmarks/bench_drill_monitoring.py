"""Incident drill wall time with and without monitoring (issue 16's "drill wall time with and without monitoring").

Each run plays the service-down drill (the api stopped) on a private PostgreSQL sandbox, every stage from the
steady-state round to the recovery, once on a sandbox without monitoring and once on one running Prometheus and
Alertmanager with the shipped alert rules (production windows: ``for: 1m``). With monitoring the drill also waits for
the runbook's alert to fire and page before the responder acknowledges, and before the next run it waits out the
previous alert's resolution. Prints per mode the median wall time of the drill, its time to detect and, with
monitoring, time to alert and to page; and the difference, which is what monitoring adds to each incident drill.

    .venv/bin/python benchmarks/bench_drill_monitoring.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, summary

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the tests' drill helper

from opsready.config import load_config
from opsready.incident.drill import DrillResult
from opsready.sandbox.manager import Sandbox, SandboxOptions
from tests.integration.monitoring.monitored import drill as monitored_drill

RUNBOOK = "incident-service-down"


def drill(suite: Path, sandbox: Sandbox) -> tuple[float, DrillResult]:
    """One service-down drill, every stage (the tests' own helper); its wall time and result."""
    config = load_config(suite / "opsready.yaml")
    sandbox.wait_ready(60.0)
    started = time.monotonic()
    result = monitored_drill(config, sandbox, RUNBOOK)
    return time.monotonic() - started, result


def measure(monitoring: str, runs: int) -> dict[str, list[float]]:
    """``runs`` drills on a fresh sandbox with monitoring ``on`` or ``off``: wall, detect, alert and page times."""
    found: dict[str, list[float]] = {"wall": [], "time to detect": [], "time to alert": [], "time to page": []}
    with tempfile.TemporaryDirectory(prefix="opsready-bench-") as tmp:
        suite = Path(tmp)
        for name in ("runbooks", "experiments"):
            (suite / name).symlink_to(ROOT / name)
        options = SandboxOptions(
            state_dir=suite / "state", ports="auto", monitoring=monitoring, alert_rules=ROOT / "runbooks" / "alerts"
        )
        sandbox = Sandbox(options)
        (suite / "opsready.yaml").write_text(
            f"version: 1\ntargets:\n  sandbox:\n    platform: sandbox\n    state_dir: {suite / 'state'}\n"
            f"    ports: auto\n    monitoring: '{monitoring}'\n"
        )
        os.environ.update(OPSREADY_STATE_DIR=str(suite / "state"), OPSREADY_PORTS="auto")
        try:
            sandbox.up()
            for run in range(runs):
                wall, result = drill(suite, sandbox)
                found["wall"].append(wall)
                for name in ("time to detect", "time to alert", "time to page"):
                    measured = result.measurement(name)
                    if measured is not None:
                        found[name].append(measured.seconds)
                print(f"monitoring {monitoring}, run {run + 1}: drill {wall:.1f} s ({result.alerting})", flush=True)
        finally:
            sandbox.down(purge=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="drills per mode")
    args = parser.parse_args()
    medians: dict[str, float] = {}
    for mode in ("off", "on"):
        found = measure(mode, args.runs)
        for name, values in found.items():
            if values:
                print(summary(f"monitoring {mode}: {name}", values))
        medians[mode] = sorted(found["wall"])[len(found["wall"]) // 2]
    print(
        f"monitoring adds {medians['on'] - medians['off']:.1f} s to each drill (medians {medians['off']:.1f} s ->"
        f" {medians['on']:.1f} s, x{medians['on'] / medians['off']:.1f})"
    )


if __name__ == "__main__":
    main()
