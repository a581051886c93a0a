"""The monitoring tests' suite, sandbox and configuration: a suite whose alert rules a test may break, and a sandbox
with monitoring on that evaluates them, one per test module (module scope), so the long drills of two modules wait
for their alerts side by side on two pytest-xdist workers. A module that needs other options defines its own."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsready.config import Config, load_config
from opsready.sandbox.manager import Sandbox, SandboxOptions

from .monitored import AVAILABILITY
from .needs import ROOT

ALERTS = ROOT / "runbooks" / "alerts"


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's suite, except that runbooks/alerts is a copy a test may break (the rest are links)."""
    root = tmp_path_factory.mktemp("suite")
    (root / "runbooks").mkdir()
    for entry in (ROOT / "runbooks").iterdir():
        if entry.name != "alerts":
            (root / "runbooks" / entry.name).symlink_to(entry)
    shutil.copytree(ALERTS, root / "runbooks" / "alerts")
    (root / "experiments").symlink_to(ROOT / "experiments")
    return root


@pytest.fixture(scope="module")
def sandbox(suite: Path) -> Iterator[Sandbox]:
    """A PostgreSQL-backed sandbox with monitoring on, on free ports, evaluating the suite's alert rules."""
    options = SandboxOptions(
        state_dir=suite / "state", ports="auto", monitoring="on", alert_rules=suite / "runbooks" / "alerts"
    )
    sbx = Sandbox(options)
    try:
        sbx.up()
        yield sbx
    finally:
        sbx.down(purge=True)


@pytest.fixture
def config(suite: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Config:
    """An opsready.yaml for this sandbox in the suite (`make test` points the environment at its own sandbox)."""
    monkeypatch.delenv("OPSREADY_STATE_DIR", raising=False)
    monkeypatch.delenv("OPSREADY_PORTS", raising=False)
    path = suite / "opsready.yaml"
    path.write_text(
        f"version: 1\ntargets:\n  sandbox:\n    platform: sandbox\n    state_dir: {sandbox.layout.state}\n"
        "    ports: auto\n    monitoring: 'on'\n"
        f"kpis:\n  availability:\n    prometheus:\n      query: '{AVAILABILITY}'\n"
    )
    return load_config(path)
