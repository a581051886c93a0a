"""The ``hosts`` adapter on the real fleet: releases switched over SSH on every app host, each instance checked
directly; inconsistent hosts, unknown releases and unlisted hosts refused before anything changes."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsready.drills.candidate import plan_candidate
from opsready.errors import DeployError, Refused, RollbackError, UsageError
from opsready.hosts.adapter import HostsTarget
from opsready.targets.protocol import Target

from .fleet import Fleet
from .machine import INITIAL_RELEASE, SERVICE
from .target import commands_yaml, fleet_yaml, open_fleet_target, target_ctl

pytestmark = pytest.mark.hosts


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode().strip())


def links(target: HostsTarget) -> dict[str, str]:
    """Where each app host's ``current`` link points, read over SSH."""
    return {
        name: target.connection(name).check("readlink /srv/app/current").stdout.strip() for name in ("app1", "app2")
    }


def reset(target: HostsTarget) -> None:
    """Every app host back on the first release, serving, with no history (other tests expect the fleet so)."""
    for name in ("app1", "app2"):
        conn = target.connection(name)
        conn.check(
            f"ln -sfn /srv/app/releases/{INITIAL_RELEASE} /srv/app/current && rm -f /srv/app/.opsready-history.jsonl"
        )
        if get(f"{target.options.instance_url(target.entry(name))}/version") != INITIAL_RELEASE:
            conn.check(f"{target.options.supervisorctl} -c {target.options.supervisor_config} restart {SERVICE}")


@pytest.fixture
def hosts_target(fleet: Fleet, tmp_path: Path) -> Iterator[HostsTarget]:
    """The fleet as a target, put back on its first release and closed afterwards."""
    target = open_fleet_target(fleet, tmp_path)
    try:
        yield target
    finally:
        try:
            reset(target)
        finally:
            target.close()


def test_is_a_real_target_that_opsready_does_not_start_or_stop(hosts_target: HostsTarget) -> None:
    """Kind real by default; every instance answers; start and stop are refused."""
    assert isinstance(hosts_target, Target)
    assert hosts_target.kind == "real"
    assert hosts_target.is_running()
    with pytest.raises(UsageError, match="does not start"):
        hosts_target.start()
    with pytest.raises(UsageError, match="does not stop"):
        hosts_target.stop()
    details = dict(hosts_target.describe().details)
    assert details["app hosts"] == "app1, app2" and details["database hosts"] == "db"


def test_deploy_then_rollback_switches_every_host(hosts_target: HostsTarget, fleet: Fleet) -> None:
    """deploy 2: each host's link, each instance directly and the balancer serve 2; rollback: all back on 1."""
    assert hosts_target.current_release() == "1"
    record = hosts_target.deploy("2", note="test")
    assert (record.version, record.previous, record.kind) == ("2", "1", "deploy")
    assert links(hosts_target) == {"app1": "/srv/app/releases/2", "app2": "/srv/app/releases/2"}
    assert {s.host: (s.version, s.serving) for s in hosts_target.instance_states()} == {
        "app1": ("2", True),
        "app2": ("2", True),
    }
    assert {get(fleet.balancer_url + "version") for _ in range(6)} == {"2"}
    assert [r.version for r in hosts_target.history()] == ["2"]

    back = hosts_target.rollback(note="test")
    assert (back.version, back.previous, back.kind) == ("1", "2", "rollback")
    assert hosts_target.current_release() == "1"
    assert {get(fleet.balancer_url + "version") for _ in range(6)} == {"1"}
    assert [(r.version, r.kind) for r in hosts_target.history()] == [("2", "deploy"), ("1", "rollback")]


def test_a_flawed_release_is_undone_and_the_fleet_left_serving(fleet: Fleet, tmp_path: Path) -> None:
    """Release 3 never gets ready: the deploy stops at the first host, names it and the step, and switches it back."""
    text = fleet_yaml(fleet).replace("ready_within: 15s", "ready_within: 2s")
    target = open_fleet_target(fleet, tmp_path, text)
    try:
        with pytest.raises(DeployError) as caught:
            target.deploy("3")
        message = caught.value.message
        assert message.startswith("deploy to 3 stopped: host app1: checking the instance failed: not ready on 3"), (
            message
        )
        assert "(/readyz: 503)" in message and message.endswith("app1 switched back to 1"), message
        assert links(target) == {"app1": "/srv/app/releases/1", "app2": "/srv/app/releases/1"}
        assert {s.host: (s.version, s.serving) for s in target.instance_states()} == {
            "app1": ("1", True),
            "app2": ("1", True),
        }
        assert target.history() == ()
    finally:
        try:
            reset(target)
        finally:
            target.close()


def test_a_hanging_reload_is_stopped_by_its_time_limit_and_undone(fleet: Fleet, tmp_path: Path) -> None:
    """A reload that hangs on release 2: stopped after command_timeout, named with its host and step, undone."""
    ctl = f"{target_ctl(fleet)} restart {SERVICE}"
    hang = f'if [ "$(readlink /srv/app/current)" = /srv/app/releases/2 ]; then sleep 60; else {ctl}; fi'
    text = fleet_yaml(fleet).replace("command_timeout: 10s", "command_timeout: 2s")
    text = text.replace(
        "      current: /srv/app/current\n", f"      current: /srv/app/current\n      reload: '{hang}'\n"
    )
    target = open_fleet_target(fleet, tmp_path, text)
    try:
        started = time.monotonic()
        with pytest.raises(DeployError) as caught:
            target.deploy("2")
        assert time.monotonic() - started < 20
        message = caught.value.message
        assert message.startswith("deploy to 2 stopped: host app1: reloading the service on 2 failed: `"), message
        assert "did not finish within 2 s and was stopped; app1 switched back to 1" in message, message
        assert links(target) == {"app1": "/srv/app/releases/1", "app2": "/srv/app/releases/1"}
        assert {s.version for s in target.instance_states()} == {"1"}
    finally:
        try:
            reset(target)
        finally:
            target.close()


def test_user_commands_deploy_and_roll_back(fleet: Fleet, tmp_path: Path) -> None:
    """The user's own deploy/list/current commands with {version}: same switch, same checks, same history."""
    target = open_fleet_target(fleet, tmp_path, commands_yaml(fleet))
    try:
        assert target.current_release() == "1"
        target.deploy("2")
        assert {s.version for s in target.instance_states()} == {"2"}
        assert target.rollback().version == "1"
        assert {s.version for s in target.instance_states()} == {"1"}
        assert [r.kind for r in target.history()] == ["deploy", "rollback"]
    finally:
        try:
            reset(target)
        finally:
            target.close()


def test_rollback_without_history_is_refused(hosts_target: HostsTarget) -> None:
    """No release was deployed through opsready: nothing to go back to, and nothing changes."""
    with pytest.raises(RollbackError, match="no earlier release to go back to from 1"):
        hosts_target.rollback()
    assert links(hosts_target) == {"app1": "/srv/app/releases/1", "app2": "/srv/app/releases/1"}


def test_differing_current_links_are_refused_naming_the_hosts(hosts_target: HostsTarget) -> None:
    """app2's link moved by hand: deploy and current_release say which host runs what, and nothing changes."""
    hosts_target.connection("app2").check("ln -sfn /srv/app/releases/2 /srv/app/current")
    before = links(hosts_target)
    with pytest.raises(DeployError, match=r"different releases \(app1 -> 1, app2 -> 2\)"):
        hosts_target.deploy("2")
    with pytest.raises(DeployError, match="app1 -> 1, app2 -> 2"):
        hosts_target.current_release()
    assert links(hosts_target) == before


def test_unknown_release_is_refused_before_any_connection(hosts_target: HostsTarget) -> None:
    """A release the configuration does not name never reaches a host."""
    with pytest.raises(UsageError, match="'9' is not one of this target's releases"):
        hosts_target.deploy("9")
    assert not hosts_target._connections


def test_release_not_installed_is_refused_before_any_change(fleet: Fleet, tmp_path: Path) -> None:
    """A configured release missing from the hosts: refused naming them, every link as it was."""
    text = fleet_yaml(fleet).replace('names: ["1", "2", "3"]', 'names: ["1", "2", "3", "4"]')
    target = open_fleet_target(fleet, tmp_path, text)
    try:
        with pytest.raises(DeployError, match="release 4 is not installed on app1, app2; nothing was changed"):
            target.deploy("4")
        assert links(target) == {"app1": "/srv/app/releases/1", "app2": "/srv/app/releases/1"}
    finally:
        target.close()


def test_a_candidate_on_only_some_hosts_is_refused_by_the_candidate_gate(fleet: Fleet, tmp_path: Path) -> None:
    """The candidate gate asks each app host whether the candidate is installed: one missing is refused naming it."""
    text = fleet_yaml(fleet).replace('names: ["1", "2", "3"]', 'names: ["1", "2", "3", "4"]')
    target = open_fleet_target(fleet, tmp_path, text)
    try:
        assert target.release_presence("2") == (("app1", True), ("app2", True))
        target.connection("app1").check("mkdir /srv/app/releases/4")
        assert target.release_presence("4") == (("app1", True), ("app2", False))
        with pytest.raises(Refused, match="candidate 4 is present on only some hosts of target 'fleet': on app1, "):
            plan_candidate(target, "4")
        assert links(target) == {"app1": "/srv/app/releases/1", "app2": "/srv/app/releases/1"}
    finally:
        try:
            target.connection("app1").check("rmdir /srv/app/releases/4")
        finally:
            target.close()


def test_a_host_not_listed_is_refused_before_connecting(hosts_target: HostsTarget) -> None:
    """Only the configured hosts are ever connected to."""
    with pytest.raises(UsageError, match="host 'lb' is not one of target 'fleet''s hosts"):
        hosts_target.connection("lb")
    assert not hosts_target._connections


def test_hosts_carry_their_roles_expectations_for_testinfra(hosts_target: HostsTarget) -> None:
    """host_state.feature's checks through target.hosts(): supervisor program, sockets, release link, database."""
    checked = []
    for th in hosts_target.hosts():
        facts = th.expectations
        if facts.supervisorctl is not None:
            path, conf = facts.supervisorctl
            assert all(th.host.supervisor(s, path, conf).is_running for s in facts.services), th.name
        assert facts.sockets and all(th.host.socket(s).is_listening for s in facts.sockets), th.name
        if facts.release_link is not None:
            link, release = facts.release_link
            assert release == "", "nothing deployed through opsready yet: the history names no release"
            assert th.host.file(link).is_symlink and th.host.file(link).linked_to == "/srv/app/releases/1"
        checked.append((th.name, th.role))
    assert checked == [("app1", "app"), ("app2", "app"), ("db", "database")]
    assert hosts_target.check_database() == (
        True,
        f"db: reachable over SSH, listening on {hosts_target.options.expectations['database'].sockets[0]}",
    )


def test_host_probes_read_every_host_over_the_targets_connections(hosts_target: HostsTarget) -> None:
    """CPU pressure and memory are read on app1, app2 and db through target.hosts() (host keys checked)."""
    from opsready.probes.host import cpu_pressure, memory_available

    for seen in (cpu_pressure(hosts_target, window_s=0.3, max_share=1.0), memory_available(hosts_target, 0.0)):
        assert seen.ok and seen.value is not None, seen
    assert set(hosts_target._connections) == {"app1", "app2", "db"}


def test_host_state_feature_checks_the_fleets_hosts(fleet: Fleet, tmp_path: Path) -> None:
    """features/host_state.feature with --target fleet checks each host of the target (not testinfra's --hosts)."""
    repo = Path(__file__).resolve().parents[2]

    def run(text: str) -> subprocess.CompletedProcess[str]:
        config = tmp_path / "opsready.yaml"
        config.write_text(text, encoding="utf-8")
        argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "steps/test_host_state.py"]
        argv += ["--opsready-config", str(config), "--target", "fleet"]
        argv += ["--opsready-reports", str(tmp_path / "reports")]
        return subprocess.run(argv, cwd=repo, capture_output=True, text=True, timeout=240, check=False)

    # deployed through the target, so the release history says which release each link must point at
    (tmp_path / "api").mkdir()
    target = open_fleet_target(fleet, tmp_path / "api")
    try:
        target.deploy("2")
        done = run(fleet_yaml(fleet))
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
        assert "1 passed" in done.stdout
        # the checks do reach the database host: a private directory it does not have fails, naming the host
        text = fleet_yaml(fleet).replace(
            "        expect:\n", "        expect:\n          private_dirs: [{path: /srv/app, owner: root}]\n"
        )
        done = run(text)
        assert done.returncode == 1 and "db: /srv/app has mode 0o755" in done.stdout, done.stdout[-4000:]
        # app2's link switched behind the history's back: the step names the host and both releases
        target.connection("app2").check("ln -sfn /srv/app/releases/1 /srv/app/current")
        done = run(fleet_yaml(fleet))
        assert done.returncode == 1, done.stdout[-4000:]
        assert "app2: /srv/app/current -> /srv/app/releases/1, but the release history says 2" in done.stdout
    finally:
        try:
            reset(target)
        finally:
            target.close()
