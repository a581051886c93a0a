"""Waiting for the target to be ready: readiness must pass several times in a row, not once by luck."""

from __future__ import annotations

import time

from opsready.errors import TargetError
from opsready.probes import http
from opsready.targets.protocol import Target


def wait_healthy(target: Target, timeout: float, streak: int = 3, interval: float = 0.2) -> None:
    """Wait until readiness passes ``streak`` times in a row; a :class:`TargetError` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    passes = 0
    last = ""
    while time.monotonic() < deadline:
        observation = http.readiness(target)
        passes = passes + 1 if observation.ok else 0
        last = observation.detail
        if passes >= streak:
            return
        time.sleep(interval)
    raise TargetError(f"the target was not healthy within {timeout:.0f} s ({last})")
