"""A game day on the fleet, run unattended the way a team runs one (``opsready gameday PLAN --auto``): the service
stopped on one app host through the host fault kinds (journaled, reverted), detected and recovered by measurement
(each instance asked directly, the balancer's readiness), mitigated by the runbook's restart over SSH, reported; and
nothing of the fault left: no nft table, timer or cgroup on the machine, every host clean over SSH, the journal closed
with the fault reverted.

The suite is a team's own (tests/fleet/gameday_suite/): its classification, incident runbook, experiment and plan
for its service, beside the repository's escalation policy and notice templates."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from .fleet import Fleet
from .host_fault_runs import Setup, opsready, setup
from .host_faults import leftovers, open_faults_target

pytestmark = pytest.mark.hosts
REPO = Path(__file__).resolve().parents[2]
SUITE = Path(__file__).resolve().parent / "gameday_suite"
STAGES = ("injected", "detected", "classified", "acknowledged", "mitigated", "recovered")


def _wall(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


@pytest.fixture
def suite(fleet: Fleet, tmp_path: Path) -> Setup:
    """The fleet's configuration (faults allowed), the team's files, the repository's escalation and templates."""
    env = setup(fleet, tmp_path)
    for name in ("experiments", "gamedays"):
        (tmp_path / name).symlink_to(SUITE / name)
    runbooks = tmp_path / "runbooks"
    runbooks.mkdir()
    (runbooks / "incident-classification.yaml").symlink_to(SUITE / "runbooks" / "incident-classification.yaml")
    (runbooks / "incidents").symlink_to(SUITE / "runbooks" / "incidents")
    for shared in ("escalation.yaml", "templates"):
        (runbooks / shared).symlink_to(REPO / "runbooks" / shared)
    return env


def _journal(env: Setup) -> list[dict[str, Any]]:
    (path,) = [p for p in env.journals.glob("*.jsonl") if p.name != "index.jsonl"]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_a_game_day_on_the_fleet_detects_mitigates_and_recovers_by_measurement(fleet: Fleet, suite: Setup) -> None:
    """One scenario passed at `high`: every stage in order, detection and recovery measured within the severity's
    targets (and within seconds here), the mitigation a start of the service on app1, users served through the
    balancer meanwhile, the report written, the fault journaled and reverted, nothing of it left anywhere."""
    started = time.monotonic()
    done = opsready(suite, "gameday", "gamedays/fleet.yaml", "--auto", "--allow-destructive", timeout=300.0)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((suite.root / "reports" / "readiness.json").read_text())
    assert (report["kind"], report["verdict"]) == ("gameday", "ready")
    (scenario,) = report["scenarios"]
    assert scenario["name"] == "an app host's service stopped"
    assert scenario["outcome"] == "passed", scenario["message"]
    events = {e["kind"]: e for e in reversed(scenario["timeline"]["events"])}  # the first of each kind
    assert all(kind in events for kind in STAGES), sorted(events)
    walls = [_wall(events[kind]["wall"]) for kind in STAGES]
    assert walls == sorted(walls), "stages out of order"
    assert events["classified"]["detail"].startswith("high:"), events["classified"]["detail"]
    detected = events["detected"]["detail"]
    assert detected == "high: serving_instances at least 1% below 100%", detected
    assert "started 'web' on app1 (it was STOPPED)" in events["mitigated"]["detail"], events["mitigated"]["detail"]
    measured = {m["name"]: m for m in report["measurements"] if m["scenario_name"] == scenario["name"]}
    assert set(measured) == {"time to detect", "time to acknowledge", "time to mitigate", "time to recover"}
    assert all(m["ok"] for m in measured.values()), measured
    ttd, ttr = measured["time to detect"]["seconds"], measured["time to recover"]["seconds"]
    assert ttd == pytest.approx(walls[1] - walls[0], abs=0.05)
    assert ttd < 5.0, f"the monitor asks every instance each second: detection took {ttd:.2f} s"
    assert ttr < 60.0, f"recovery took {ttr:.2f} s"
    sent = sum(p["requests"] for p in scenario["traffic"])
    failed = sum(p["failed"] for p in scenario["traffic"])
    assert sent > 20, scenario["traffic"]
    # the balancer's health checks (every 300 ms, down after 2) take app1 out: only requests sent to it before
    # then can fail, a handful at 20 requests/s
    assert failed <= 10, f"{failed} of {sent} requests failed through the balancer"

    records = _journal(suite)
    kinds = [r["record"] for r in records]
    assert {"intent", "applied", "reverted", "closed"} <= set(kinds), kinds
    applied = next(r for r in records if r["record"] == "applied")
    reverted = next(r for r in records if r["record"] == "reverted")
    assert abs(applied["t"] - walls[0]) < 1.0, "the journal and the timeline disagree on the injection"
    assert walls[0] <= reverted["t"]
    target = open_faults_target(fleet, suite.root)
    try:
        residue = target.fault_residue()
        assert all(o.ok for o in residue), [o.describe() for o in residue]
        assert all(i.running for i in target.instances()), target.instances()
    finally:
        target.close()
    assert not leftovers(fleet), leftovers(fleet)
    print(
        f"game day on the fleet: {seconds:.1f} s wall (command), scenario {scenario['duration']:.1f} s, "
        f"TTD {ttd:.2f} s, TTM {measured['time to mitigate']['seconds']:.2f} s, TTR {ttr:.2f} s, "
        f"{sent} requests, {failed} failed"
    )
