"""Where the fleet cannot be built, its tests skip and say why: checked as an unprivileged user."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .needs import fleet_unavailable

ASK = "import sys; sys.path.insert(0, {tests!r}); from fleet.needs import fleet_unavailable; print(fleet_unavailable())"


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("runuser") is None, reason="needs root and runuser to drop it")
def test_without_root_the_reason_says_root_is_needed() -> None:
    """Run as `nobody`, the check answers that the fleet needs root, instead of failing half-way through a build."""
    tests = str(Path(__file__).resolve().parent.parent)
    python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else "python3"
    out = subprocess.run(
        ["runuser", "-u", "nobody", "--", python, "-c", ASK.format(tests=tests)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert out.stdout.strip().startswith("the test fleet needs root"), out.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="as root only: elsewhere the reason is the missing privilege")
def test_as_root_with_the_tools_there_is_no_reason() -> None:
    """Here, root with sshd and HAProxy installed, nothing stands in the way (so the hosts tests really run)."""
    assert fleet_unavailable() is None
