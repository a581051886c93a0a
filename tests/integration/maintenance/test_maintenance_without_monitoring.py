"""Maintenance on a sandbox without monitoring still runs, and its record says that no silence was made and why."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from opsready.config import load_config
from opsready.maintenance.procedures import MaintenanceRequest
from opsready.maintenance.runner import MaintenanceRunner
from opsready.sandbox.adapter import SandboxTarget
from opsready.sandbox.manager import Sandbox, SandboxOptions
from opsready.timeline import Timeline

pytestmark = pytest.mark.sandbox
ROOT = Path(__file__).resolve().parents[3]


def test_without_monitoring_a_maintenance_runs_and_says_why_no_silence(tmp_path: Path) -> None:
    """Monitoring off: housekeeping succeeds; the record (and its JSON) says no silence was made, and why."""
    base = load_config(ROOT / "opsready.yaml")
    policy = dataclasses.replace(
        base.maintenance,
        records_dir=tmp_path / "records",
        comms_dir=tmp_path / "comms",
        templates_dir=ROOT / "runbooks" / "templates",
    )
    config = dataclasses.replace(base, maintenance=policy)
    sandbox = Sandbox(SandboxOptions(state_dir=tmp_path / "state", ports="auto", database="sqlite", monitoring="off"))
    try:
        sandbox.up()
        record = MaintenanceRunner(config, SandboxTarget("sandbox", sandbox), Timeline("housekeeping")).run(
            MaintenanceRequest("housekeeping", force_reason="no monitoring test")
        )
    finally:
        sandbox.down(purge=True)
    assert record.ok, record.summary()
    assert record.silence is not None and not record.silence.made
    assert record.silence.describe() == "no silence: turned off in the sandbox target (monitoring: off)"
    written = json.loads(next((tmp_path / "records").glob("*-housekeeping.json")).read_text())
    assert written["silence"]["made"] is False
    assert "no silence: turned off" in next((tmp_path / "records").glob("*-housekeeping.md")).read_text()
    assert not (tmp_path / "state" / "silences").exists(), "no journal without a silence"
