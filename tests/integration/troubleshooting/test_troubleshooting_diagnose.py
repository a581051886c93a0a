"""`opsready diagnose` and `opsready remedy` on a real sandbox: a healthy diagnosis that changes nothing, the
evidence bundle with secrets redacted, a platform that is down, single probes, and mistakes refused with exit 2
before anything is touched."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from opsready.cli.main import cli
from opsready.drills.troubleshooting import journal_lookup
from opsready.errors import UsageError
from opsready.processes import ProcessIdentity, session_members
from opsready.sandbox.adapter import SandboxTarget
from opsready.sandbox.diagnostics import SandboxDiagnostics
from opsready.sandbox.faults.owned import holders
from opsready.sandbox.guide_remedies import SandboxRemedies
from opsready.sandbox.manager import Sandbox, SandboxOptions
from opsready.sandbox.supervisor import recorded_session
from opsready.targets.faults import FaultSpec
from opsready.troubleshooting.evidence import find_culprit
from opsready.troubleshooting.model import Remedy
from opsready.troubleshooting.remedy import apply_remedy

pytestmark = pytest.mark.sandbox
ROOT = Path(__file__).resolve().parents[3]
TREE = ROOT / "runbooks" / "troubleshooting-tree.yaml"
SECRET = "hunter2-do-not-leak"
STOP = Remedy("stop-culprit", culprit="cpu")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One PostgreSQL-backed sandbox for the module, on free ports."""
    sbx = Sandbox(SandboxOptions(state_dir=tmp_path_factory.mktemp("diagnose") / "state", ports="auto"))
    try:
        sbx.up()
        yield sbx
    finally:
        sbx.down(purge=True)


def config_for(state: Path, directory: Path) -> Path:
    path = directory / "opsready.yaml"
    path.write_text(
        f"version: 1\nprofile: {ROOT / 'profiles' / 'orders.yaml'}\n"
        f"targets:\n  sandbox:\n    platform: sandbox\n    state_dir: {state}\n    ports: auto\n"
    )
    return path


@pytest.fixture
def config(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An opsready.yaml for this sandbox (make test's own sandbox variables must not redirect it)."""
    monkeypatch.delenv("OPSREADY_STATE_DIR", raising=False)
    monkeypatch.delenv("OPSREADY_PORTS", raising=False)
    return config_for(sandbox.layout.state, tmp_path)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def state_of(sandbox: Sandbox) -> dict[str, object]:
    """Everything a read-only diagnosis must leave alone: orders, release and history, programs, proxy state."""
    stats = httpx.get(f"http://127.0.0.1:{sandbox.ports().api}/orders/stats", timeout=5).json()
    proxies = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(sandbox.layout.proxies.glob("*.json"))
    }
    return {
        "orders": (stats["total"], stats["last_id"], stats["checksum"]),
        "release": sandbox.current_release(),
        "history": sandbox.layout.history_file.read_text(),
        "programs": [(p.name, p.state, p.pid) for p in sandbox.status().programs],
        "proxies": {k: v for k, v in proxies.items() if ".status." not in k},
    }


def test_a_healthy_sandbox_diagnoses_healthy_and_nothing_changes(sandbox: Sandbox, config: Path) -> None:
    """Exit 0, JSON with the path and the evidence of every step, and the sandbox exactly as before."""
    httpx.post(f"{sandbox.base_url}/orders", json={"item": "before", "quantity": 1}, timeout=5)
    before = state_of(sandbox)
    result = run("diagnose", "--config", str(config), "--tree", str(TREE), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema"] == "opsready.diagnosis/1" and data["complete"]
    assert data["diagnosis"]["id"] == "healthy" and data["diagnosis"]["healthy"]
    assert data["path"][0] == "unavailable" and data["path"][-1] == "healthy"
    assert all(step["outcome"] == "ok" and step["evidence"] for step in data["steps"])
    assert data["seconds"] <= data["time_limit"]
    assert state_of(sandbox) == before


def test_collect_writes_the_evidence_with_secrets_redacted(sandbox: Sandbox, config: Path, tmp_path: Path) -> None:
    """--collect: diagnosis, logs, processes, connections, database activity, host load, metrics; no secret."""
    with (sandbox.layout.logs / "supervisord.log").open("a") as log:  # a secret that found its way into a log
        log.write(f"2026-01-01 00:00:00,000 INFO connecting with password={SECRET}\n")
    bundle = tmp_path / "evidence"
    result = run("diagnose", "--config", str(config), "--tree", str(TREE), "--collect", str(bundle))
    assert result.exit_code == 0, result.output
    names = {str(p.relative_to(bundle)) for p in bundle.rglob("*") if p.is_file()}
    expected = {"diagnosis.json", "logs/supervisord.log", "processes.json", "restarts.json", "database.json"}
    assert expected | {"host.json", "connections.json", "metrics.txt", "manifest.json"} <= names
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["not_collected"] == {}
    everything = "".join(p.read_text() for p in bundle.rglob("*") if p.is_file())
    assert SECRET not in everything and "password=[REDACTED]" in everything
    processes = json.loads((bundle / "processes.json").read_text())
    assert {c["name"] for c in processes["components"]} == {"postgres", "db_proxy", "api", "worker", "edge"}
    database = json.loads((bundle / "database.json").read_text())
    assert database["ok"] and database["max_connections"] == 60
    assert "opsready_http_requests_total" in (bundle / "metrics.txt").read_text()


def test_a_sandbox_that_is_down_is_diagnosed_as_platform_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing runs: exit 1 and 'platform-down' pointing at the host guide; the diagnosis starts nothing."""
    monkeypatch.delenv("OPSREADY_STATE_DIR", raising=False)
    state = tmp_path / "never-started"
    result = run("diagnose", "--config", str(config_for(state, tmp_path)), "--tree", str(TREE))
    assert result.exit_code == 1, result.output
    assert "Diagnosis: platform-down (infrastructure, severity critical)" in result.stdout
    assert "troubleshooting/host.md#platform-down" in result.stdout
    assert not (state / "supervisord.pid").exists()


def test_one_probe_runs_on_its_own(config: Path) -> None:
    """--probe runs one probe of the library: here the latency breakdown of the performance guide."""
    result = run("diagnose", "--config", str(config), "--probe", "latency_breakdown", "--arg", "max=2s")
    assert result.exit_code == 0, result.output
    assert "latency_breakdown: ok" in result.stdout
    for part in ("users-network", "application", "database-network", "database"):
        assert f"{part} " in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("diagnose", "--probe", "latency_breakdwn"), "unknown probe 'latency_breakdwn'"),
        (("diagnose", "--probe", "component"), "missing required key 'component'"),
        (("remedy", "restart"), "'restart' needs --component"),
        (("remedy", "stop-culprit"), "'stop-culprit' needs --pgid"),
    ],
)
def test_mistakes_are_refused_with_exit_2(config: Path, args: tuple[str, ...], message: str) -> None:
    """One clear message, exit code 2, no traceback."""
    result = run(*args, "--config", str(config))
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_a_broken_tree_is_reported_at_its_line_before_the_target_is_touched(config: Path, tmp_path: Path) -> None:
    """A tree naming an unknown probe: path:line, exit 2, and the walk never starts."""
    tree = tmp_path / "runbooks" / "tree.yaml"
    tree.parent.mkdir()
    tree.write_text(TREE.read_text().replace("probe: availability", "probe: availabilty", 1))
    result = run("diagnose", "--config", str(config), "--tree", str(tree))
    assert result.exit_code == 2, result.output
    assert f"{tree}:" in result.output and "unknown probe 'availabilty'" in result.output
    assert "Diagnosing" not in result.output


def test_stop_culprit_refuses_the_sandboxs_own_processes(sandbox: Sandbox, config: Path) -> None:
    """The remedy for a hog never stops part of the target, whatever pgid it is given."""
    api = int(sandbox.supervisor().info("api")["pid"])
    result = run("remedy", "stop-culprit", "--pgid", str(api), "--config", str(config))
    assert result.exit_code == 2, result.output
    assert "part of the sandbox" in result.output
    assert sandbox.supervisor().info("api")["pid"] == api and os.getpgid(api) == api


@pytest.fixture
def stranger() -> Iterator[subprocess.Popen[bytes]]:
    """Someone else's process on the host: a sleep in a process group of its own; killed afterwards, by pid."""
    proc = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        assert ProcessIdentity.of_started(proc.pid) is not None
        yield proc
    finally:
        proc.kill()
        proc.wait(10)


def test_stop_culprit_stops_someone_elses_process_only_when_named_with_allow_destructive(
    sandbox: Sandbox, config: Path, stranger: subprocess.Popen[bytes]
) -> None:
    """A process that is neither the sandbox's nor journaled for it: blamed by a diagnosis it is refused even with
    the flag, named without --allow-destructive it is refused (exit 2, its number and the command that would stop
    it), and it runs on; named with the flag it is stopped."""
    target = SandboxTarget("sandbox", sandbox)
    pgid = stranger.pid
    with pytest.raises(UsageError, match="blamed by the diagnosis"):
        apply_remedy(target, STOP, pgid=pgid, allow_destructive=True, journaled=journal_lookup(target))
    refused = run("remedy", "stop-culprit", "--pgid", str(pgid), "--config", str(config))
    assert refused.exit_code == 2, refused.output
    assert f"refused: process group {pgid} (sleep 30) is neither the target's nor journaled for it" in refused.output
    assert f"opsready remedy stop-culprit --pgid {pgid} --allow-destructive" in refused.output
    assert "Traceback" not in refused.output
    time.sleep(0.2)
    assert stranger.poll() is None, "a refused remedy signalled the process"
    stopped = run("remedy", "stop-culprit", "--pgid", str(pgid), "--allow-destructive", "--config", str(config))
    assert stopped.exit_code == 0, stopped.output
    assert f"stop-culprit: stopped process group {pgid} (1 process(es))" in stopped.output
    assert "named on the command line with --allow-destructive" in stopped.output
    assert stranger.wait(5) == -15  # SIGTERM was enough


def test_another_sandbox_on_the_host_is_never_blamed_nor_stopped(sandbox: Sandbox, tmp_path: Path) -> None:
    """Two sandboxes on one host (make test runs two at once): the memory a fault of the other one holds is the
    largest process group outside this sandbox, yet this sandbox's culprit search does not blame it, its host load
    lists no process of the other sandbox, and its remedy refuses to stop it; the other's own search blames it."""
    other = Sandbox(SandboxOptions(state_dir=tmp_path / "other", ports="auto"))
    try:
        other.up()
        here, there = SandboxTarget("sandbox", sandbox), SandboxTarget("other", other)
        fault = there.fault(FaultSpec("memory-pressure", (("share", 0.05),), 60.0), "speed-two-sandboxes")
        fault.prepare()
        fault.inject(time.time() + 60.0)
        try:
            (hog,) = {p.pgrp for p in holders(other.layout.state)}
            blamed_there = find_culprit(there, "memory")
            assert blamed_there is not None and blamed_there.pgid == hog, blamed_there  # the fault is the largest
            blamed_here = find_culprit(here, "memory")
            assert blamed_here is None or blamed_here.pgid != hog, blamed_here
            session = recorded_session(other.layout)
            theirs = {hog} | {os.getpgid(pid) for pid in session_members(session or 0)}
            listed = {g.pgid for g in SandboxDiagnostics(sandbox).host_load(0.0).groups}
            assert session and not theirs & listed, f"{theirs & listed} of the other sandbox listed here"
            assert SandboxRemedies(sandbox).process_group(hog).owner == "protected"
            with pytest.raises(UsageError, match="another opsready sandbox"):  # even named, with the flag
                apply_remedy(here, STOP, pgid=hog, named=True, allow_destructive=True, journaled=journal_lookup(here))
            assert holders(other.layout.state), "the other sandbox's fault was stopped"
        finally:
            fault.revert(10.0)
    finally:
        other.down(purge=True)
