"""The backlog probe's answers: fulfilled, waiting too long, or no verdict when the stats cannot be read."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from opsready.probes.platform import backlog
from opsready.probes.registry import PROBES
from opsready.profile import attach, load_profile


@dataclass
class _Target:
    base_url: str


def test_stats_that_cannot_be_read_are_unreadable_not_a_stuck_worker() -> None:
    """Nothing listens: the probe fails with the answer 'unreadable', which the troubleshooting tree can route."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the probe connects: refused
    target = _Target(f"http://127.0.0.1:{port}")
    attach(target, load_profile(Path(__file__).resolve().parents[3] / "profiles" / "orders.yaml"))  # a backlog
    observation = backlog(target, timeout=0.5)  # type: ignore[arg-type]
    assert not observation.ok and observation.value == "unreadable"
    assert "stats unavailable" in observation.detail
    assert "unreadable" in PROBES["backlog"].answers
