"""Sandbox lifecycle: `up` (initdb, supervisord, every program, readiness) and `down` (every process gone).

The test suite starts a sandbox about fifteen times and every `make gate` once, so these seconds are paid often.
Each run uses a fresh temporary state directory on free ports, as the tests do; `down` is timed until the last
process of the sandbox's session has exited. Runs alternate between monitoring off and on (Prometheus,
Alertmanager and the PostgreSQL exporter, with the suite's alert rules checked by promtool first) when the
packages are installed, so both figures meet the same machine load. Prints the medians.

    .venv/bin/python benchmarks/bench_sandbox.py [--runs 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import summary

from opsready.processes import session_members
from opsready.sandbox.manager import Sandbox, SandboxOptions
from opsready.sandbox.monitoring import decide
from opsready.sandbox.supervisor import recorded_session

RULES = Path(__file__).resolve().parent.parent / "runbooks" / "alerts"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="up/down cycles")
    args = parser.parse_args()
    monitored = decide("auto", None)[0].on
    modes = ("off", "on") if monitored else ("off",)
    ups: dict[str, list[float]] = {mode: [] for mode in modes}
    downs: dict[str, list[float]] = {mode: [] for mode in modes}
    for _ in range(args.runs):
        for mode in modes:
            with tempfile.TemporaryDirectory(prefix="opsready-bench-") as tmp:
                options = SandboxOptions(
                    state_dir=Path(tmp) / "state", ports="auto", monitoring=mode, alert_rules=RULES
                )
                sandbox = Sandbox(options)
                try:
                    started = time.monotonic()
                    sandbox.up()
                    ups[mode].append(time.monotonic() - started)
                    sid = recorded_session(sandbox.layout)
                finally:
                    started = time.monotonic()
                    sandbox.down(purge=True)
                    downs[mode].append(time.monotonic() - started)
                assert sid and not session_members(sid), "down left processes behind"
    for mode in modes:
        print(summary(f"sandbox up, monitoring {mode} (initdb included)", ups[mode]))
        print(summary(f"sandbox down, monitoring {mode} (purge)", downs[mode]))
    if not monitored:
        print("monitoring not measured: prometheus and prometheus-alertmanager are not installed")


if __name__ == "__main__":
    main()
