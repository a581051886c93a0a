"""The test fleet as pytest fixtures: ``fleet`` (one per session), and the ssh settings that reach it."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from opsready.hosts import SshSettings

from .fleet import Fleet
from .leftovers import leftovers
from .orphans import sweep_orphans

NEEDED = ("ip", "unshare", "ssh", "ssh-keygen", "/usr/sbin/sshd", "/usr/sbin/haproxy")


def fleet_unavailable() -> str | None:
    """Why this machine cannot build a test fleet, or None when it can."""
    if os.geteuid() != 0:
        return "the test fleet needs root (network, PID and mount namespaces); run as root to include these tests"
    missing = [tool for tool in NEEDED if shutil.which(tool) is None]
    if missing:
        return f"missing {', '.join(missing)} (`make system-tools` installs openssh-server and haproxy)"
    probe = subprocess.run(
        ["unshare", "--net", "--pid", "--fork", "--mount", "true"],
        capture_output=True,
        text=True,
        timeout=15,
        check=False,
    )
    if probe.returncode != 0:
        return f"this machine cannot make namespaces: {probe.stderr.strip() or 'unshare failed'}"
    return None


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
