"""``opsready diagnose --target fleet`` as a user runs it, against the real fleet: the platform-neutral part of the
tree (reachable, instances asked directly on their hosts, host resources over SSH), with the sandbox's questions
named as not applicable; a healthy fleet diagnoses clean, and a service stopped on one app host is diagnosed as that
host's instance being down."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsready.hosts.adapter import HostsTarget

from .fleet import Fleet
from .host_fault_runs import Setup, opsready, setup
from .host_faults import fault, http_status, leftovers, open_faults_target, wait_for
from .machine import SERVICE, WEB_PORT

pytestmark = pytest.mark.hosts
REPO = Path(__file__).resolve().parents[2]
NEUTRAL = ["reachable", "instances", "host-resources"]
# the sandbox's questions a healthy walk meets on the way, each named with its reason (none silently skipped)
SANDBOX_ONLY = [
    "unavailable", "errors", "slow", "worker", "backlog", "connections", "database-link-headroom", "restarts", "cpu",
    "memory",
]  # fmt: skip


SHIPPED_LOAD = "max_load: 3,"


@pytest.fixture
def suite(fleet: Fleet, tmp_path: Path) -> Setup:
    """The fleet's configuration beside a copy of the repository's runbooks and tree, with one change: the test
    fleet's hosts share this machine's kernel, so their load average is the machine's, which other test runs drive;
    the copy's load limit is out of their reach (the load is still read and shown; memory, disk and reachability
    keep the shipped limits)."""
    env = setup(fleet, tmp_path)
    runbooks = shutil.copytree(REPO / "runbooks", tmp_path / "runbooks")
    tree = runbooks / "troubleshooting-tree.yaml"
    text = tree.read_text(encoding="utf-8")
    assert text.count(SHIPPED_LOAD) == 1, "the shipped tree's load limit moved: update this test"
    tree.write_text(text.replace(SHIPPED_LOAD, "max_load: 1000,"), encoding="utf-8")
    return env


@pytest.fixture
def target(fleet: Fleet, tmp_path: Path) -> Iterator[HostsTarget]:
    """The fleet as a fault-injecting target (for the fault only); nothing of any fault is left afterwards."""
    (tmp_path / "faults").mkdir()
    opened = open_faults_target(fleet, tmp_path / "faults")
    try:
        yield opened
        assert all(o.ok for o in opened.fault_residue()), [o.describe() for o in opened.fault_residue()]
    finally:
        opened.close()
    assert not leftovers(fleet), leftovers(fleet)


def diagnose(env: Setup, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """``opsready diagnose`` against the fleet; the result and its wall time."""
    started = time.monotonic()
    done = opsready(env, "diagnose", *args, timeout=180.0)
    return done, time.monotonic() - started


def walked(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def test_a_healthy_fleet_diagnoses_clean_and_names_what_does_not_apply(suite: Setup) -> None:
    """Exit 0 and `healthy` by the platform-neutral questions only, each asked and passed; every sandbox question
    met on the way is listed as not applicable with its reason; the text output says so for people, and the evidence
    bundle holds each instance and each host, and says what a fleet cannot give."""
    done, seconds = diagnose(suite, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    data = walked(done)
    assert data["target"]["platform"] == "hosts"
    assert data["diagnosis"]["id"] == "healthy", data
    assert [s["node"] for s in data["steps"]] == NEUTRAL
    assert all(s["outcome"] == "ok" for s in data["steps"]), data["steps"]
    skipped = {n["node"]: n for n in data["not_applicable"]}
    assert list(skipped) == SANDBOX_ONLY
    assert all(n["reasons"] for n in skipped.values())
    assert skipped["restarts"]["reasons"] == ["exits: no exit log of one supervisor covers the fleet"]
    by_node = {s["node"]: s for s in data["steps"]}
    assert "app1" in by_node["instances"]["evidence"] and "app2" in by_node["instances"]["evidence"]
    for host in ("app1", "app2", "db"):
        assert f"{host}: load" in by_node["host-resources"]["evidence"], by_node["host-resources"]["evidence"]
    print(f"diagnose (healthy fleet, JSON): {seconds:.2f} s wall, walk {data['seconds']:.2f} s")

    bundle = suite.root / "evidence"
    text, seconds = diagnose(suite, "--collect", str(bundle))
    assert text.returncode == 0, text.stdout + text.stderr
    hosts = json.loads((bundle / "hosts.json").read_text())
    assert [h["host"] for h in hosts] == ["app1", "app2", "db"] and all(h["reachable"] for h in hosts), hosts
    assert [i["host"] for i in json.loads((bundle / "instances.json").read_text())] == ["app1", "app2"]
    missing = json.loads((bundle / "manifest.json").read_text())["not_collected"]
    assert "processes is not available on platform 'hosts'" in missing["processes.json"], missing
    assert "Not applicable on platform 'hosts' (these questions were not asked):" in text.stdout
    assert "  - worker (component): processes: " in text.stdout
    assert "Diagnosis: healthy" in text.stdout
    print(f"diagnose (healthy fleet, text): {seconds:.2f} s wall")


def test_a_service_stopped_on_one_host_is_diagnosed_as_that_instance(
    fleet: Fleet, suite: Setup, target: HostsTarget
) -> None:
    """With the service stopped on app1 (a host fault, reverted after), users are still served through the
    balancer, and the diagnosis is `instance-down` with evidence naming app1's instance and saying app2 serves;
    exit 1. After the revert the fleet diagnoses clean again."""
    url = f"http://{fleet.hosts['app1'].address}:{WEB_PORT}/healthz"
    stopped = fault(target, "service-stop", {"host": "app1"}, limit=60.0)
    stopped.inject(time.time() + 60)
    try:
        assert wait_for(lambda: http_status(url), "refused")[0] == "refused"
        # the premise: users are still served, so HAProxy's health check has taken app1 out first (until then a
        # request through the balancer may land on app1 and fail, and the walk takes the unreachable branch)
        taken_out = wait_for(lambda: str(fleet.balancer.servers()["app1"].up), "False", timeout=20.0)[0]
        assert taken_out == "False", fleet.balancer.servers()
        done, seconds = diagnose(suite, "--json")
    finally:
        stopped.revert(30.0)
    assert done.returncode == 1, done.stdout + done.stderr
    data = walked(done)
    assert data["diagnosis"]["id"] == "instance-down", data
    assert data["diagnosis"]["runbook"]["link"].endswith("troubleshooting/host.md#instance-down")
    assert [s["node"] for s in data["steps"]] == ["reachable", "instances"]
    evidence = data["steps"][1]["evidence"]
    assert f"app1 ({SERVICE} at http://{fleet.hosts['app1'].address}:{WEB_PORT}): not healthy" in evidence, evidence
    assert "(1 of 2 serving)" in evidence, evidence
    print(f"diagnose (app1 stopped): {seconds:.2f} s wall, walk {data['seconds']:.2f} s")

    assert wait_for(lambda: http_status(url), "200", timeout=20.0)[0] == "200"
    again, _ = diagnose(suite, "--json")
    assert again.returncode == 0, again.stdout + again.stderr
    assert walked(again)["diagnosis"]["id"] == "healthy"
