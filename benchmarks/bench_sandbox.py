"""Sandbox lifecycle: `up` (initdb, supervisord, every program, readiness) and `down` (every process gone).

The test suite starts a sandbox about fifteen times and every `make gate` once, so these seconds are paid often.
Each run uses a fresh temporary state directory on free ports, as the tests do; `down` is timed until the last
process of the sandbox's session has exited. Prints the medians.

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
from opsready.sandbox.supervisor import recorded_session


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="up/down cycles")
    args = parser.parse_args()
    ups, downs = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="opsready-bench-") as tmp:
            sandbox = Sandbox(SandboxOptions(state_dir=Path(tmp) / "state", ports="auto"))
            try:
                started = time.monotonic()
                sandbox.up()
                ups.append(time.monotonic() - started)
                sid = recorded_session(sandbox.layout)
            finally:
                started = time.monotonic()
                sandbox.down(purge=True)
                downs.append(time.monotonic() - started)
            assert sid and not session_members(sid), "down left processes behind"
    print(summary("sandbox up (initdb included)", ups))
    print(summary("sandbox down (purge)", downs))


if __name__ == "__main__":
    main()
