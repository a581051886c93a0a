"""The Kubernetes client is an extra (``pip install 'opsready[kubernetes]'``): without it opsready works, names
kubernetes targets, checks their options, and says which extra to install at the first contact with a cluster.

The package is hidden from a fresh interpreter (``sys.modules['kubernetes'] = None`` makes every import of it fail as
if it were not installed), never uninstalled.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HIDE = "import sys; sys.modules['kubernetes'] = None\n"
MESSAGE = "platform 'kubernetes' needs the kubernetes extra: pip install 'opsready[kubernetes]'"
CONFIG = """\
version: 1
targets:
  sandbox:
    platform: sandbox
    state_dir: st
  prod:
    platform: kubernetes
    namespace: orders
    deployment: orders
    container: api
    image: "opsready/orders:{version}"
    service_url: http://127.0.0.1:9
safety:
  destructive_targets: [sandbox, prod]
  kubernetes_namespaces: [orders]
"""


def python(code: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter that cannot import the kubernetes package."""
    command = [sys.executable, "-c", HIDE + code, *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=60, check=False)


def test_without_the_extra_the_base_install_works(tmp_path: Path) -> None:
    """The CLI, the plugin and the adapter import; a kubernetes target opens (its options are checked) and only its
    first contact with the cluster raises MissingExtra, with the command that installs it."""
    (tmp_path / "opsready.yaml").write_text(CONFIG)
    code = """\
import opsready.cli.main, opsready.plugin.plugin, opsready.plugin.fixtures, opsready.kubernetes.adapter
from opsready.config import load_config
from opsready.errors import MissingExtra
from opsready.targets.registry import open_target
target = open_target(load_config(), "prod")
print("opened", target.kind, target.describe().details[1])
try:
    target.is_running()
except MissingExtra as exc:
    print("missing:", exc.render(), exc.exit_code)
assert sys.modules["kubernetes"] is None, "the real package was imported"
"""
    result = python(code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "opened real ('namespace', 'orders')" in result.stdout
    assert f"missing: {MESSAGE} 2" in result.stdout


def test_without_the_extra_a_command_says_which_extra_to_install(tmp_path: Path) -> None:
    """`opsready rollback` on a kubernetes target: exit 2 and the one line to fix it, no traceback; `config check`
    passes, since reading opsready.yaml needs no cluster."""
    (tmp_path / "opsready.yaml").write_text(CONFIG)
    cli = "from opsready.cli.main import main\nsys.argv[0] = 'opsready'\nmain()\n"
    checked = python(cli, "config", "check", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    result = python(cli, "rollback", "--target", "prod", "--allow-destructive", "--reason", "drill", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert MESSAGE in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "st").exists()
