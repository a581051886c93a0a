"""Remediation and live classification on a real sandbox: programs restarted (stopped, frozen, running), a degraded
link reset, mistakes refused before anything changes, and `opsready incident classify` reading the live target."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from opsready.cli.main import cli
from opsready.errors import UsageError
from opsready.incident.mitigation import parse_mitigation
from opsready.processes import group_members, pid_alive
from opsready.sandbox.adapter import SandboxTarget
from opsready.sandbox.manager import Sandbox, SandboxOptions
from opsready.sandbox.proxy.control import LatencyToxic, apply, read_status, status_path

pytestmark = pytest.mark.sandbox
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One sandbox for the module, on free ports."""
    sbx = Sandbox(SandboxOptions(state_dir=tmp_path_factory.mktemp("incident") / "state", ports="auto"))
    try:
        sbx.up()
        yield sbx
    finally:
        sbx.down(purge=True)


@pytest.fixture
def target(sandbox: Sandbox) -> SandboxTarget:
    return SandboxTarget("sandbox", sandbox)


@pytest.fixture
def config(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An opsready.yaml for this sandbox, beside the repository's runbooks (`make test` points the environment at the
    suite's own sandbox: not here)."""
    monkeypatch.delenv("OPSREADY_STATE_DIR", raising=False)
    monkeypatch.delenv("OPSREADY_PORTS", raising=False)
    (tmp_path / "runbooks").symlink_to(ROOT / "runbooks")
    path = tmp_path / "opsready.yaml"
    path.write_text(
        f"version: 1\nprofile: {ROOT / 'profiles' / 'orders.yaml'}\ntargets:\n  sandbox:\n    platform: sandbox\n"
        f"    state_dir: {sandbox.layout.state}\n"
        "    ports: auto\n"
    )
    return path


def pid(sandbox: Sandbox, name: str) -> int:
    info = sandbox.supervisor().info(name)
    assert info["statename"] == "RUNNING", info
    return int(info["pid"])


def test_a_stopped_program_is_started(sandbox: Sandbox, target: SandboxTarget) -> None:
    """The worker stopped through supervisord runs again after a restart."""
    sandbox.supervisor().stop("worker")
    done = target.restart_component("worker")
    assert done.startswith("started 'worker' (it was STOPPED)")
    assert f"running as pid {pid(sandbox, 'worker')}" in done


def test_a_frozen_program_is_killed_and_runs_again(sandbox: Sandbox, target: SandboxTarget) -> None:
    """A SIGSTOPped worker cannot stop gracefully: it is killed, supervisord starts a new one, nothing stays frozen."""
    old = pid(sandbox, "worker")
    os.killpg(old, signal.SIGSTOP)
    try:
        started = time.monotonic()
        done = target.restart_component("worker")
        spent = time.monotonic() - started
    finally:
        if pid_alive(old):
            os.killpg(old, signal.SIGCONT)
    new = pid(sandbox, "worker")
    assert done.startswith(f"killed hung 'worker' (pid {old}, 1 frozen process(es))")
    assert new != old and not pid_alive(old)
    assert not [m for m in group_members(new) if m.state == "T"]
    assert spent < 10, f"a frozen program must not wait for stopwaitsecs ({spent:.1f} s)"


def test_a_running_program_is_restarted_gracefully(sandbox: Sandbox, target: SandboxTarget) -> None:
    """The api gets a new master process and serves again."""
    old = pid(sandbox, "api")
    done = target.restart_component("api")
    assert done.startswith(f"restarted 'api' (pid {old})")
    assert pid(sandbox, "api") != old
    sandbox.wait_ready(30)


def test_a_degraded_link_is_reset_to_pass_through(sandbox: Sandbox, target: SandboxTarget) -> None:
    """Latency on the edge makes pages slow; the reset removes it and the proxy confirms."""
    state = sandbox.layout.proxies / "edge.json"
    apply(state, pid(sandbox, "edge"), (LatencyToxic(latency_ms=600, direction="downstream"),))
    started = time.monotonic()
    httpx.get(f"{sandbox.base_url}/products", timeout=5)
    assert time.monotonic() - started >= 0.6
    done = target.reset_link("edge")
    assert done.startswith("reset the edge link: removed latency(latency_ms=600")
    assert read_status(status_path(state)).toxics == ()
    started = time.monotonic()
    httpx.get(f"{sandbox.base_url}/products", timeout=5)
    assert time.monotonic() - started < 0.5
    assert target.reset_link("edge").endswith("nothing (it was already passing traffic through)")


def test_mistakes_change_nothing(sandbox: Sandbox, target: SandboxTarget) -> None:
    """Unknown components, links and a misspelt mitigation are refused before any program is touched."""
    before = {p.name: p.pid for p in sandbox.status().programs}
    with pytest.raises(UsageError, match="unknown component 'apii'"):
        target.restart_component("apii")
    with pytest.raises(UsageError, match="unknown link 'users'"):
        target.reset_link("users")
    text = "## Automated mitigation\n\n```yaml\n- restart: worker\n- restart: apii\n```\n"
    with pytest.raises(UsageError, match="did you mean 'api'") as caught:
        parse_mitigation(text, "x.md").check(target)
    assert caught.value.loc is not None and caught.value.loc.line == 5
    assert {p.name: p.pid for p in sandbox.status().programs} == before


def test_classify_reads_the_live_target(sandbox: Sandbox, config: Path) -> None:
    """Healthy: no incident. With the api stopped: critical, readiness the evidence. Then the CLI restarts it."""
    runner = CliRunner()
    healthy = runner.invoke(cli, ["incident", "classify", "--json", "--config", str(config)])
    assert healthy.exit_code == 0, healthy.stderr
    data = json.loads(healthy.stdout)
    assert data["severity"] is None and len(data["observations"]) == 7
    sandbox.supervisor().stop("api")
    try:
        down = runner.invoke(cli, ["incident", "classify", "--config", str(config)])
        assert down.exit_code == 0, down.stderr
        assert down.stdout.startswith("target sandbox: critical: readiness failing")
        assert "respond within 15 min" in down.stdout
    finally:
        restarted = runner.invoke(cli, ["incident", "restart", "api", "--config", str(config)])
    assert restarted.exit_code == 0 and "started 'api' (it was STOPPED)" in restarted.stdout
    sandbox.wait_ready(30)
