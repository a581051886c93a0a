"""Maintenance on a real SQLite-backed sandbox (the PostgreSQL path runs in features/maintenance.feature): every
procedure through the runner, and `opsready maintenance run` as an operator types it. Nothing is left running."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from opsready.config import Config, load_config
from opsready.maintenance.procedures import MaintenanceRequest
from opsready.maintenance.runner import MaintenanceRunner
from opsready.processes import pid_alive
from opsready.sandbox.adapter import SandboxTarget
from opsready.sandbox.manager import Sandbox, SandboxOptions
from opsready.timeline import Timeline

pytestmark = pytest.mark.sandbox
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxTarget]:
    """A SQLite sandbox on free ports with 30 orders; stopped afterwards, and every pid it had is gone."""
    sandbox = Sandbox(
        SandboxOptions(state_dir=tmp_path_factory.mktemp("maint-sqlite") / "state", ports="auto", database="sqlite")
    )
    try:
        sandbox.up()
        with httpx.Client(base_url=sandbox.base_url, timeout=5) as client:
            for i in range(30):
                assert client.post("/orders", json={"item": f"m-{i}", "quantity": i + 1}).status_code == 201
        yield SandboxTarget("sandbox", sandbox)
    finally:
        stopped = sandbox.down(purge=True)
        assert not [pid for pid in stopped if pid_alive(pid)], "the sandbox left processes behind"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """The suite's configuration with records and notices in the test's directory."""
    base = load_config(ROOT / "opsready.yaml")
    policy = dataclasses.replace(
        base.maintenance,
        records_dir=tmp_path / "records",
        comms_dir=tmp_path / "comms",
        templates_dir=ROOT / "runbooks" / "templates",
    )
    return dataclasses.replace(base, maintenance=policy)


@pytest.mark.parametrize("procedure", ["backup", "housekeeping", "log-rotation", "disk-check", "certificate-check"])
def test_each_procedure_succeeds_and_is_recorded(
    target: SandboxTarget, config: Config, tmp_path: Path, procedure: str
) -> None:
    """Checks pass before and after, the work validates, the record and the notices are written."""
    request = MaintenanceRequest(procedure, force_reason="integration test", backup_dir=tmp_path / "backups")
    record = MaintenanceRunner(config, target, Timeline(procedure)).run(request)
    assert record.ok, record.summary()
    assert len(list((tmp_path / "records").glob(f"*-{procedure}.json"))) == 1
    assert {p.name.rsplit("-", 1)[1] for p in record.notices} == {"start.md", "completion.md"}


def test_the_sqlite_backup_matches_the_api_stats(target: SandboxTarget, config: Config, tmp_path: Path) -> None:
    """The online backup API copy restores with exactly the count and checksum /orders/stats reports."""
    stats = httpx.get(f"{target.base_url}/orders/stats", timeout=5).json()
    request = MaintenanceRequest("backup", force_reason="integration test", backup_dir=tmp_path)
    record = MaintenanceRunner(config, target, Timeline("backup")).run(request)
    assert record.backup is not None and record.backup.engine == "sqlite"
    assert record.restore is not None and record.restore.ok and record.restore.scratch_removed
    assert (record.restore.restored.orders, record.restore.restored.checksum) == (stats["total"], stats["checksum"])
    assert not list((Path(target.sandbox.layout.state) / "scratch").glob("*.db")), "scratch file left behind"


def test_the_cli_runs_a_forced_backup_and_records_the_reason(target: SandboxTarget, tmp_path: Path) -> None:
    """`opsready maintenance run backup --force --reason ...`: exit 0, the JSON record names the reason."""
    (tmp_path / "opsready.yaml").write_text(
        f"version: 1\nprofile: {ROOT / 'profiles' / 'orders.yaml'}\ntargets:\n  sandbox:\n    platform: sandbox\n"
        f"    state_dir: {target.sandbox.layout.state}\n    ports: auto\n"
        f"maintenance:\n  templates_dir: {ROOT / 'runbooks' / 'templates'}\n"
        "  allowed_windows:\n    - days: [mon]\n      from: '00:00'\n      to: '00:01'\n"
        "  records_dir: records\n  comms_dir: comms\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSREADY_")}
    argv = [sys.executable, "-m", "opsready.cli", "maintenance", "run", "backup", "--dest", str(tmp_path / "b")]
    result = subprocess.run(
        [*argv, "--force", "--reason", "verify backups before the storage migration"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FORCED" in result.stdout and "backup: succeeded" in result.stdout
    (record_path,) = (tmp_path / "records").glob("*-backup.json")
    record = json.loads(record_path.read_text(encoding="utf-8"))
    assert record["outcome"] == "succeeded" and record["ok"] is True
    assert record["authorisation"]["forced_reason"] == "verify backups before the storage migration"
    assert record["restore"]["expected"] == record["restore"]["restored"]


def test_overrunning_the_plan_sends_the_extension_notice_at_that_moment(
    target: SandboxTarget, config: Config, tmp_path: Path
) -> None:
    """Planned for 10 ms, the work (and its post-checks, several real requests) outlives the plan: the extension
    notice is written while it runs, with the latest end the 2-hour KPI allows, and the timeline marks it."""
    timeline = Timeline("overrun")
    request = MaintenanceRequest("disk-check", planned=0.01)
    record = MaintenanceRunner(config, target, timeline).run(request)
    kinds = [p.name.rsplit("-", 1)[1] for p in record.notices]
    assert kinds == ["start.md", "extension.md", "completion.md"], kinds
    extended, finished = timeline.first("extended"), timeline.first("finished")
    assert extended is not None and finished is not None and extended.at < finished.at
    text = record.notices[1].read_text(encoding="utf-8")
    assert "past its planned 10 ms" in text and "n/a" not in text
