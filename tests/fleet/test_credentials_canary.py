"""A canary secret put everywhere a credential can be given (ssh passphrase environment variables, a password-like
key in the configuration, an ``ssh://user:password@`` spec) appears in no output, error, report, log or state file
of a deploy, a flawed deploy rolled back, a rollback and the refused configurations, nor on the hosts."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsready.hosts.adapter import HostsTarget

from .fleet import Fleet
from .machine import FLAWED_RELEASE
from .rolling_load import destructive_rolling

pytestmark = pytest.mark.hosts
CANARY = "CANARY-7f3a9c-do-not-print"
SECRET_ENV = {
    "OPSREADY_SSH_PASSPHRASE": CANARY,
    "SSH_KEY_PASSPHRASE": CANARY,
    "SSHPASS": CANARY,  # what sshpass -e would read
    "SSH_ASKPASS_PASSWORD": CANARY,
}


@pytest.fixture
def target(fleet: Fleet, tmp_path: Path) -> Iterator[HostsTarget]:
    """The fleet as a rolling target (deploys allowed); no soak: no rollback trigger that a busy machine could fire."""
    yield from destructive_rolling(fleet, tmp_path, soak="0s")


def run(root: Path, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``opsready ARGS`` with the canary in the environment, state and reports under ``root``."""
    env = {
        **os.environ,
        **SECRET_ENV,
        "PYTHONPATH": str(Path(__file__).parents[2] / "src"),
        "OPSREADY_STATE_DIR": str(root / "state"),
    }
    argv = [sys.executable, "-m", "opsready.cli", *args, "--target", "fleet", "--config", str(config)]
    return subprocess.run(argv, env=env, cwd=root, capture_output=True, text=True, timeout=180, check=False)


def files_with_canary(*roots: Path, skip: tuple[Path, ...] = ()) -> list[str]:
    """Every file under ``roots`` (but ``skip``) whose bytes hold the canary."""
    found = []
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and path not in skip and CANARY.encode() in path.read_bytes():
                found.append(str(path))
    return found


def test_no_credential_appears_anywhere(fleet: Fleet, target: HostsTarget, tmp_path: Path) -> None:
    """Deploy, flawed deploy (rolled back), rollback and two refused configurations, each with the canary around."""
    config = tmp_path / "opsready.yaml"
    text = config.read_text()
    outputs = []
    for args, code in (
        (("deploy", "2", "--allow-destructive"), 0),
        (("deploy", FLAWED_RELEASE, "--allow-destructive"), 1),
        (("rollback", "--reason", "canary", "--allow-destructive"), 0),
    ):
        done = run(tmp_path, config, *args)
        assert done.returncode == code, done.stdout + done.stderr
        outputs.append(done.stdout + done.stderr)
    password_key = tmp_path / "password-key.yaml"
    password_key.write_text(text.replace("      command_timeout: 10s\n", f"      password: {CANARY}\n"))
    spec = tmp_path / "password-spec.yaml"
    spec.write_text(text.replace("ssh://root@app1:22", f"ssh://root:{CANARY}@app1:22"))
    assert password_key.read_text() != text and spec.read_text() != text
    for refused in (password_key, spec):
        done = run(tmp_path, refused, "deploy", "2", "--allow-destructive")
        assert done.returncode == 2, done.stdout + done.stderr
        assert str(refused) in done.stderr + done.stdout and "Traceback" not in done.stderr
        outputs.append(done.stdout + done.stderr)
    assert "unknown key 'password'" in outputs[3] and "carries a password, which is refused" in outputs[4]
    leaked = [out for out in outputs if CANARY in out]
    assert not leaked, leaked
    assert not files_with_canary(tmp_path, fleet.workdir, skip=(password_key, spec))
    for host in ("app1", "app2", "db"):
        grep = target.connection(host).run(f"grep -rl {CANARY} /srv /run 2>/dev/null")
        assert grep.stdout.strip() == "", f"{host}: {grep.stdout}"
