"""What a machine needs to build the test fleet, and why it cannot when it cannot (standard library only, so it
also answers under an interpreter without the test dependencies)."""

from __future__ import annotations

import os
import shutil
import subprocess

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
