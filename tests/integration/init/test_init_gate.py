"""The fresh sandbox suite of ``opsready init`` passes ``opsready gate`` at once, on a real sandbox of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path


def test_the_fresh_sandbox_suite_passes_the_gate(tmp_path: Path) -> None:
    """init, then gate: READY with its four drills passed; the sandbox it started is stopped and purged after."""
    suite = tmp_path / "suite"
    state = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if k != "OPSREADY_CONFIG"}
    env.update(OPSREADY_STATE_DIR=str(state), OPSREADY_PORTS="auto")

    def opsready(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "opsready.cli", *args],
            cwd=suite if suite.is_dir() else tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    assert opsready("init", str(suite)).returncode == 0
    try:
        started = time.monotonic()
        gate = opsready("gate")
        seconds = time.monotonic() - started
        # what the sandbox's programs said, for a failure's message (the purge below deletes them)
        logs = {p.name: p.read_text(errors="replace")[-1500:] for p in sorted((state / "logs").glob("*.log"))}
    finally:
        down = opsready("sandbox", "down", "--purge", timeout=120)
    assert gate.returncode == 0, f"{gate.stdout[-4000:]}{gate.stderr[-2000:]}\nsandbox logs: {logs}"
    report = json.loads((suite / "reports" / "readiness.json").read_text(encoding="utf-8"))
    assert report["verdict"] == "ready"
    assert sorted(s["outcome"] for s in report["scenarios"]) == ["passed"] * 4
    assert down.returncode == 0, down.stderr
    assert not state.exists()
    print(f"opsready gate on the fresh sandbox suite: {seconds:.1f} s")
