"""The shipped game day end to end: ``opsready gameday gamedays/q4-2026.yaml --auto`` on a private sandbox.

Each run is the real command in a subprocess (validation, background load, four incident drills with faults through
the chaos guard, reports written with publish). Prints the median wall time of the whole game day, the median
duration of each scenario and its time to detect and to recover from the report, and the ratio of each scenario's
duration to its 2-minute time box.

    .venv/bin/python benchmarks/bench_gameday.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

from _common import ROOT, private_sandbox, summary

BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="game days to play")
    args = parser.parse_args()
    walls: list[float] = []
    per: dict[str, dict[str, list[float]]] = {}
    with private_sandbox() as target, TemporaryDirectory(prefix="opsready-bench-gameday-") as tmp:
        root = Path(tmp)
        state = target.sandbox.layout.state
        for name in ("experiments", "runbooks", "gamedays"):
            (root / name).symlink_to(ROOT / name)
        (root / "opsready.yaml").write_text(
            f"version: 1\ntargets:\n  sandbox:\n    platform: sandbox\n    state_dir: {state}\n    ports: auto\n"
            f"safety:\n  destructive_targets: [sandbox]\nreports_dir: {root / 'reports'}\n",
            encoding="utf-8",
        )
        env = dict(os.environ, OPSREADY_STATE_DIR=str(state), OPSREADY_PORTS="auto")
        for run in range(args.runs):
            started = time.monotonic()
            done = subprocess.run(
                [str(BIN / "opsready"), "gameday", "gamedays/q4-2026.yaml", "--auto", "--config", "opsready.yaml"],
                cwd=root, env=env, capture_output=True, text=True, timeout=600, check=False,
            )  # fmt: skip
            walls.append(time.monotonic() - started)
            assert done.returncode == 0, done.stdout + done.stderr
            report = json.loads((root / "reports" / "readiness.json").read_text())
            for scenario in report["scenarios"]:
                figures = per.setdefault(scenario["name"], {"duration": [], "ttd": [], "ttr": []})
                figures["duration"].append(scenario["duration"])
            for m in report["measurements"]:
                key = {"time to detect": "ttd", "time to recover": "ttr"}.get(m["name"])
                if key:
                    per[m["scenario_name"]][key].append(m["seconds"])
            print(f"run {run + 1}: {walls[-1]:.1f} s", flush=True)
    print(summary("whole game day (4 scenarios)", walls))
    for name, figures in per.items():
        duration = statistics.median(figures["duration"])
        print(
            f"{name}: {summary('duration', figures['duration'])}; TTD {statistics.median(figures['ttd']):.2f} s; "
            f"TTR {statistics.median(figures['ttr']):.2f} s; {duration / 120.0:.2f} of its time box"
        )


if __name__ == "__main__":
    main()
