"""The user and ``sudo`` from the configuration: app hosts reached as ``deploy`` (not root, a user of each fleet host
only). Without ``ssh.sudo`` its privileged step (switching the release) is refused by the host and named; with
``ssh.sudo: true`` the release commands go through ``sudo -n``: where the hosts have sudo the deploy succeeds as
root, where they do not, the error names the host, the step and sudo, and nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from opsready.errors import DeployError, HostError
from opsready.hosts.adapter import HostsTarget

from .fleet import Fleet
from .machine import DEPLOY_USER, INITIAL_RELEASE
from .rolling_load import reset
from .target import fleet_yaml, open_fleet_target

pytestmark = pytest.mark.hosts


def deploy_user_yaml(fleet: Fleet, sudo: bool) -> str:
    """The fleet with its app hosts reached as DEPLOY_USER, through sudo or not."""
    text = fleet_yaml(fleet)
    for name in ("app1", "app2"):
        text = text.replace(f"ssh://root@{name}:22", f"ssh://{DEPLOY_USER}@{name}:22")
    return text.replace(
        "      command_timeout: 10s\n", f"      command_timeout: 10s\n      sudo: {str(sudo).lower()}\n"
    )


def opened(fleet: Fleet, directory: Path, sudo: bool) -> Iterator[HostsTarget]:
    directory.mkdir(exist_ok=True)
    target = open_fleet_target(fleet, directory, deploy_user_yaml(fleet, sudo))
    try:
        yield target
    finally:
        target.close()
        (directory / "root").mkdir(exist_ok=True)
        root = open_fleet_target(fleet, directory / "root")  # as root: put the fleet back
        try:
            root.clear_lock()
            reset(fleet, root)
        finally:
            root.close()


@pytest.fixture
def as_deploy(fleet: Fleet, tmp_path: Path) -> Iterator[HostsTarget]:
    yield from opened(fleet, tmp_path / "plain", sudo=False)


@pytest.fixture
def with_sudo(fleet: Fleet, tmp_path: Path) -> Iterator[HostsTarget]:
    yield from opened(fleet, tmp_path / "sudo", sudo=True)


def links(target: HostsTarget) -> set[str]:
    return {target.connection(n).check("readlink /srv/app/current").stdout.strip() for n in ("app1", "app2")}


def test_the_configured_user_is_used_and_a_privileged_step_without_sudo_is_named(as_deploy: HostsTarget) -> None:
    """Commands run as ``deploy``; switching the release needs root, so the deploy stops at app1's switch with the
    host's own reason, and no link moved."""
    assert as_deploy.connection("app1").check("id -un").stdout.strip() == DEPLOY_USER
    assert as_deploy.connection("db").check("id -un").stdout.strip() == "root"
    with pytest.raises(DeployError) as caught:
        as_deploy.deploy("2")
    message = caught.value.message
    assert message.startswith("deploy to 2 stopped: host app1: switching the current link to 2 failed: "), message
    assert "Permission denied" in message, message
    assert links(as_deploy) == {f"/srv/app/releases/{INITIAL_RELEASE}"}


def test_sudo_missing_on_the_hosts_is_one_error_naming_host_step_and_sudo(with_sudo: HostsTarget) -> None:
    """``ssh.sudo: true`` on hosts without sudo: the first release command (reading the current link) fails naming
    the host, the step and sudo's absence; nothing changed."""
    conn = with_sudo.connection("app1")
    assert conn.check("id -un").stdout.strip() == DEPLOY_USER
    if conn.run("command -v sudo").succeeded:
        pytest.skip("the fleet hosts have sudo: see the test of the successful path")
    with pytest.raises(HostError) as caught:
        with_sudo.deploy("2")
    message = caught.value.message
    assert message.startswith("host app1: reading the current link failed: `sudo -n sh -c "), message
    assert "sudo: not found" in message or "sudo: command not found" in message, message
    assert links(with_sudo) == {f"/srv/app/releases/{INITIAL_RELEASE}"}


def test_sudo_from_the_configuration_runs_the_release_steps_as_root(with_sudo: HostsTarget) -> None:
    """``ssh.sudo: true`` as ``deploy`` on hosts with sudo (a NOPASSWD rule for it in each host's own sudoers.d):
    the deploy switches every app host, the link made by root."""
    conn = with_sudo.connection("app1")
    if not conn.run("command -v sudo").succeeded:
        pytest.skip(
            "sudo is not installed on this machine (so not on its fleet hosts): "
            "the path through sudo is not yet tested here"
        )
    record = with_sudo.deploy("2")
    assert record.version == "2" and links(with_sudo) == {"/srv/app/releases/2"}
    assert conn.check("stat -c %U /srv/app/current").stdout.strip() == "root"
