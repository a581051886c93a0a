"""The chaos integration tests' sandbox: one per test module, stopped (and checked for leftovers) afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.chaos.chaos_harness import Env, start_env, stop_env


@pytest.fixture(scope="module")
def chaos_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """One PostgreSQL-backed sandbox for the module, on free ports, with an opsready.yaml pointing at it."""
    env = start_env(tmp_path_factory.mktemp("chaos"))
    try:
        yield env
    finally:
        leftovers = stop_env(env)
        assert not leftovers, f"watchdog processes were left behind: {leftovers}"
