"""The ssh_config our connections write: safety settings first, so a user's file cannot loosen them."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.errors import ConfigError
from opsready.hosts import SshSettings
from opsready.hosts.connection import ssh_config_text


def test_safety_settings_come_before_the_users_file(tmp_path: Path) -> None:
    """ssh keeps the first value it reads: host-key checking and key-only login precede the Include."""
    user = tmp_path / "user_config"
    text = ssh_config_text(SshSettings(known_hosts=tmp_path / "kh", ssh_config=user), tmp_path / "cm")
    lines = text.splitlines()
    assert lines[-1] == f"Include {user.resolve()}"
    for setting in (
        "StrictHostKeyChecking yes",
        f"UserKnownHostsFile {tmp_path / 'kh'}",
        "GlobalKnownHostsFile /dev/null",
        "BatchMode yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "ServerAliveInterval 2",
    ):
        assert setting in lines[:-1]


def test_multiplexing_can_be_turned_off(tmp_path: Path) -> None:
    """With control_persist None every command logs in anew (ControlMaster no), and no ControlPath is set."""
    text = ssh_config_text(SshSettings(known_hosts=tmp_path / "kh", control_persist=None), tmp_path)
    assert "ControlMaster no" in text and "ControlPath" not in text
    shared = ssh_config_text(SshSettings(known_hosts=tmp_path / "kh", connect_timeout=2.4), tmp_path / "cm")
    assert f"ControlPath {tmp_path / 'cm'}/%C" in shared and "ConnectTimeout 2" in shared


def test_paths_with_spaces_are_quoted_and_percent_refused(tmp_path: Path) -> None:
    """A space is quoted so ssh reads one argument; a ``%`` (which ssh would expand as a token) is a ConfigError."""
    spaced = tmp_path / "my hosts"
    text = ssh_config_text(SshSettings(known_hosts=spaced), tmp_path / "c m")
    assert f'UserKnownHostsFile "{spaced}"' in text
    assert f'ControlPath "{tmp_path}/c m/%C"' in text
    with pytest.raises(ConfigError, match="contains '%'"):
        ssh_config_text(SshSettings(known_hosts=tmp_path / "100%"), tmp_path)
