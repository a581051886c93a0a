"""The test fleet as pytest fixtures: ``fleet`` (one per session), and the ssh settings that reach it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from opsready.hosts import SshSettings

from .fleet import Fleet
from .leftovers import leftovers
from .needs import fleet_unavailable
from .orphans import sweep_orphans


@pytest.fixture(scope="session")
def fleet() -> Iterator[Fleet]:
    """Two app hosts and a database host with sshd, behind HAProxy; torn down after the session."""
    reason = fleet_unavailable()
    if reason:
        pytest.skip(f"no test fleet: {reason}")
    sweep_orphans()  # a fleet some killed run left behind would only be in the way
    built = Fleet().build()
    try:
        yield built
    finally:
        problems = built.teardown()
        problems += leftovers(built.prefix, built.workdir, None, built.netns_inodes, built.subnet)
        assert not problems, f"the test fleet did not come down cleanly: {problems}"


@pytest.fixture
def ssh_settings(fleet: Fleet) -> SshSettings:
    """Settings that reach the fleet: its known_hosts and ssh_config, short time limits, masters in its directory."""
    return SshSettings(
        known_hosts=fleet.known_hosts,
        ssh_config=fleet.ssh_config,
        connect_timeout=3,
        command_timeout=10,
        control_dir=fleet.control_dir,
    )
