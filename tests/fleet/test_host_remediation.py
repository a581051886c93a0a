"""The fleet's remediation over SSH (what a runbook's `restart:` does on hosts): by the service's name only the
instances that do not serve are brought back, never a serving one; by host, that instance is restarted fresh."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsready.hosts.adapter import HostsTarget

from .fleet import Fleet
from .host_faults import open_faults_target
from .target import target_ctl

pytestmark = pytest.mark.hosts


@pytest.fixture
def target(fleet: Fleet, tmp_path: Path) -> Iterator[HostsTarget]:
    """The fleet as a target; every instance serves again afterwards."""
    opened = open_faults_target(fleet, tmp_path)
    try:
        yield opened
        assert all(i.running for i in opened.instances()), opened.instances()
    finally:
        opened.close()


def pid(fleet: Fleet, target: HostsTarget, host: str) -> int:
    """The service's pid on ``host``, as its supervisor reports it (over SSH)."""
    out = target.connection(host).check(f"{target_ctl(fleet)} status web").stdout
    found = re.search(r"RUNNING\s+pid (\d+)", out)
    assert found, out
    return int(found.group(1))


def test_restart_by_service_leaves_serving_instances_and_by_host_restarts_that_one(
    fleet: Fleet, target: HostsTarget
) -> None:
    """All serve: `web` restarts nothing (same pids). `web@app1`: app1 gets a new pid and serves, app2 keeps its."""
    before = {h: pid(fleet, target, h) for h in ("app1", "app2")}
    assert target.restart_component("web") == "every instance of 'web' serves already; nothing was restarted"
    assert {h: pid(fleet, target, h) for h in ("app1", "app2")} == before
    said = target.restart_component("web@app1", timeout=30.0)
    assert said.startswith("restarted 'web' on app1 (it was RUNNING); serves "), said
    after = {h: pid(fleet, target, h) for h in ("app1", "app2")}
    assert after["app1"] != before["app1"] and after["app2"] == before["app2"]
