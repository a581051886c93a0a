"""Run a runbook's runnable block as written, one command a line, within the block's time limit.

Each command runs in its own session, so a command that hangs is killed with everything it started when the block's
time runs out; the outcome names the block's ``path:line`` and the command that was running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from opsready.errors import Loc
from opsready.runbooks.commands import CommandRef, RunBlock

Outcome = Literal["passed", "failed", "timed_out"]
OPSREADY = (sys.executable, "-m", "opsready.cli")


@dataclass(frozen=True)
class BlockRun:
    """How a block ran: its outcome, how long it took, and what went wrong (empty when it passed)."""

    block: RunBlock
    outcome: Outcome
    seconds: float
    detail: str = ""

    @property
    def ok(self) -> bool:
        """Every command exited 0 within the time limit."""
        return self.outcome == "passed"

    def __str__(self) -> str:
        where = Loc(self.block.path, self.block.line)
        if self.ok:
            return f"{where}: {self.block.mode} block passed in {self.seconds:.1f} s"
        return f"{where}: {self.detail}"


def _argv(ref: CommandRef, opsready: Sequence[str]) -> list[str]:
    return [*opsready, *ref.argv[1:]] if ref.argv[:1] == ("opsready",) else list(ref.argv)


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # the command's session: whatever it started goes too
    process.wait()


def run_block(
    block: RunBlock,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    opsready: Sequence[str] = OPSREADY,
    time_limit: float | None = None,
) -> BlockRun:
    """Run every command of the block in order; stop at the first failure or when the time limit is spent."""
    limit = block.time_limit if time_limit is None else time_limit
    started = time.monotonic()
    deadline = started + limit
    for ref in block.commands:
        process = subprocess.Popen(
            _argv(ref, opsready),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            output, _ = process.communicate(timeout=max(deadline - time.monotonic(), 0.0))
        except subprocess.TimeoutExpired:
            _kill(process)
            seconds = time.monotonic() - started
            detail = (
                f"{block.mode} block timed out after {limit:g} s and was killed, "
                f"while `{ref.text}` (line {ref.line}) was running"
            )
            return BlockRun(block, "timed_out", seconds, detail)
        if process.returncode != 0:
            lines = output.decode("utf-8", "replace").strip().splitlines()
            last = lines[-1] if lines else "(no output)"
            detail = f"`{ref.text}` (line {ref.line}) exited {process.returncode}: {last}"
            return BlockRun(block, "failed", time.monotonic() - started, detail)
    return BlockRun(block, "passed", time.monotonic() - started)
