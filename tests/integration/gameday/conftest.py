"""The game-day integration tests' sandbox: one for the module, with a suite root that sees the repository's
experiments, runbooks and plans, stopped (and checked for leftover watchdogs) afterwards.

The sandbox, the subprocess environment and the independent health check are the chaos tests' (chaos_harness), so
"healthy" means the same thing in both areas.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.chaos.chaos_harness import Env, start_env, stop_env

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def gameday_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """A sandbox on free ports, and a suite root (opsready.yaml beside links to experiments/, runbooks/, gamedays/)."""
    env = start_env(tmp_path_factory.mktemp("gameday"))
    try:
        for name in ("experiments", "runbooks", "gamedays"):
            (env.root / name).symlink_to(REPO / name)
        yield env
    finally:
        leftovers = stop_env(env)
        assert not leftovers, f"watchdog processes were left behind: {leftovers}"
