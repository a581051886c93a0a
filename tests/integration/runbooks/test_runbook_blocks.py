"""The runbooks' runnable blocks against a real sandbox: the read-only ones change nothing, measured by a snapshot of
the target before and after (release link, release history, program pids, orders, proxy faults, journals and other
files written), each within its time limit; every changing block is rehearsed by a drill or run here."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from opsready.runbooks import find_feature_files, parse_runbook, read_feature
from opsready.runbooks.cmdlint import all_blocks
from opsready.runbooks.commands import RunBlock
from opsready.runbooks.runblocks import OPSREADY, run_block
from opsready.sandbox.manager import Sandbox, SandboxOptions

pytestmark = pytest.mark.sandbox
ROOT = Path(__file__).resolve().parents[3]
BLOCKS = all_blocks(ROOT / "runbooks")
# Changing blocks that no scenario rehearses: run here, each followed by the runbook's own way back.
# deployment.md's `opsready sandbox up` brings this module's sandbox up; `opsready sandbox down` (chaos-faults.md)
# takes it down (with --purge, so the test leaves nothing behind).
RUN_HERE = {("opsready", "sandbox", "up"): ("opsready", "sandbox", "down", "--purge")}


@dataclass(frozen=True)
class Suite:
    """A suite directory beside the repository's runbooks and experiments, with its own sandbox."""

    root: Path
    sandbox: Sandbox
    env: dict[str, str]


def _env(root: Path, state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSREADY_")}
    env.update(OPSREADY_CONFIG=str(root / "opsready.yaml"), OPSREADY_STATE_DIR=str(state), OPSREADY_PORTS="auto")
    return env


def _changing(argv: tuple[str, ...]) -> RunBlock:
    (block,) = (b for b in BLOCKS if b.mode == "changing" and any(c.argv == argv for c in b.commands))
    return block


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    """Brought up by the deployment runbook's own block, taken down by `opsready sandbox down --purge`. PostgreSQL,
    as the runbooks assume: on SQLite the chaos runbook's db-outage experiment does not validate."""
    root = tmp_path_factory.mktemp("runbook-blocks")
    for name in ("runbooks", "experiments"):
        (root / name).symlink_to(ROOT / name)
    state = root / "state"
    (root / "opsready.yaml").write_text(
        f"version: 1\nprofile: {ROOT / 'profiles' / 'orders.yaml'}\n"
        f"targets:\n  sandbox:\n    platform: sandbox\n    state_dir: {state}\n    ports: auto\n"
    )
    env = _env(root, state)
    sandbox = Sandbox(SandboxOptions(state_dir=state, ports="auto"))
    try:
        up = run_block(_changing(("opsready", "sandbox", "up")), root, env)
        assert up.ok, str(up)
        yield Suite(root, sandbox, env)
    finally:
        down = subprocess.run([*OPSREADY, *RUN_HERE[("opsready", "sandbox", "up")][1:]], env=env, cwd=root, check=False)
        sandbox.down(purge=True)  # whatever the command left (nothing, when it worked)
    assert down.returncode == 0, "`opsready sandbox down --purge` failed"


def _faults(path: Path) -> dict[str, object]:
    """A proxy's state without its traffic counters (reading the target is traffic too)."""
    data = json.loads(path.read_text())
    return {k: v for k, v in data.items() if k not in ("bytes_up", "bytes_down", "connections")}


def snapshot(suite: Suite) -> dict[str, object]:
    """What a read-only command must not change, read cheaply from the target and the suite directory."""
    layout = suite.sandbox.layout
    stats = httpx.get(f"{suite.sandbox.base_url}/orders/stats", timeout=5).json()
    skip = ("state/logs/", "state/metrics/", "state/database/", "state/sqlite/")
    files = sorted(
        str(p.relative_to(suite.root))
        for p in suite.root.rglob("*")
        if p.is_file() and not str(p.relative_to(suite.root)).startswith(skip)
    )
    return {
        "programs": {p.name: (p.state, p.pid) for p in suite.sandbox.status().programs},
        "release link": os.readlink(layout.current),
        "history": layout.history_file.read_text() if layout.history_file.exists() else "",
        "orders": (stats["total"], stats["pending"], stats["fulfilled"], stats["checksum"]),
        "proxy faults": {p.name: _faults(p) for p in sorted(layout.proxies.glob("*.json"))},
        "files": files,
    }


def test_every_changing_block_is_rehearsed() -> None:
    """A changing block sits under a step a scenario verifies (@runbook:<id>:<step>), or this module runs it."""
    tags = {
        (tag.runbook_id, tag.runbook_step)
        for path in find_feature_files(ROOT / "features")
        for scenario in read_feature(path)
        for tag in scenario.tags
    }
    changing = [b for b in BLOCKS if b.mode == "changing"]
    assert changing
    for block in changing:
        rehearsed = (parse_runbook(Path(block.path)).id, block.step) in tags if block.step else False
        here = all(c.argv in RUN_HERE for c in block.commands)
        assert rehearsed or here, f"{block.loc()}: changing block rehearsed by no scenario and not run here"


def test_read_only_blocks_change_nothing(suite: Suite) -> None:
    """`opsready runbooks run` passes every read-only block within its time limit; the target is the same after."""
    blocks = [b for b in BLOCKS if b.mode == "read-only"]
    assert len(blocks) >= 5
    before = snapshot(suite)
    started = time.monotonic()
    done = subprocess.run(
        [*OPSREADY, "runbooks", "run"], cwd=suite.root, env=suite.env, capture_output=True, text=True, check=False
    )
    print(f"{len(blocks)} read-only blocks in {time.monotonic() - started:.1f} s:", done.stdout, sep="\n")
    assert done.returncode == 0, done.stdout + done.stderr
    passed = [line for line in done.stdout.splitlines() if "read-only block passed in" in line]
    assert len(passed) == len(blocks), done.stdout
    assert snapshot(suite) == before


def test_the_snapshot_sees_a_change(suite: Suite) -> None:
    """The comparison can fail: one order placed through the edge changes the snapshot (runs last: it writes)."""
    before = snapshot(suite)
    placed = httpx.post(f"{suite.sandbox.base_url}/orders", json={"item": "x", "quantity": 1}, timeout=5)
    assert placed.status_code == 201
    after = snapshot(suite)
    assert after["orders"] != before["orders"]
    assert {k: v for k, v in after.items() if k != "orders"} == {k: v for k, v in before.items() if k != "orders"}
