"""Wall time of the whole readiness gate (`opsready gate`), sandbox start and stop included.

Goal (issue 2): under 2 minutes. Runs the gate against a private state directory on free ports.

    .venv/bin/python benchmarks/bench_gate.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    times = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="opsready-gate-") as tmp:
            env = {**os.environ, "OPSREADY_STATE_DIR": str(Path(tmp) / "state"), "OPSREADY_PORTS": "auto"}
            opsready = Path(sys.executable).parent / "opsready"
            started = time.monotonic()
            result = subprocess.run(
                [str(opsready), "gate", "--reports", str(Path(tmp) / "reports"), "--", "-q"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            times.append(time.monotonic() - started)
            subprocess.run(
                [str(opsready), "sandbox", "down", "--purge"], cwd=ROOT, env=env, capture_output=True, check=False
            )
            if result.returncode != 0:
                print(result.stdout[-3000:], result.stderr[-2000:])
                raise SystemExit(f"gate failed with exit code {result.returncode}")
    print(summary("opsready gate wall time", times))


if __name__ == "__main__":
    main()
