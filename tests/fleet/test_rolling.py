"""Rolling deploys through the fleet's HAProxy under real traffic: drained hosts fail no request, the same deploy
without draining does (the control), a release only users' traffic shows is rolled back host by host, newest first."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsready.errors import BalancerError, ConfigError, DeployError
from opsready.hosts.adapter import HostsTarget
from opsready.hosts.haproxy import HaproxyRuntime
from opsready.timeline import Timeline
from opsready.traffic import Traffic

from .fleet import Fleet
from .machine import DEGRADING_RELEASE, INITIAL_RELEASE
from .rolling_load import in_flight, reset, under_load
from .target import open_fleet_target, rolling_yaml

pytestmark = pytest.mark.hosts


def open_rolling(fleet: Fleet, directory: Path, **kw: object) -> Iterator[HostsTarget]:
    """The fleet as a rolling target; afterwards put back as it was and closed."""
    target = open_fleet_target(fleet, directory, rolling_yaml(fleet, **kw))  # type: ignore[arg-type]
    try:
        yield target
    finally:
        try:
            reset(fleet, target)
        finally:
            target.close()


@pytest.fixture
def rolling(fleet: Fleet, tmp_path: Path) -> Iterator[HostsTarget]:
    """Drained through HAProxy, a batch of one host, a 1 s soak."""
    yield from open_rolling(fleet, tmp_path)


@pytest.fixture
def no_drain(fleet: Fleet, tmp_path: Path) -> Iterator[HostsTarget]:
    """The control: the same rollout without draining (``rollout.drain: false``)."""
    yield from open_rolling(fleet, tmp_path, drain=False)


def test_a_drained_rolling_deploy_fails_no_request_under_load(fleet: Fleet, rolling: HostsTarget) -> None:
    """Two hosts, one at a time, each drained while about twenty requests were in flight: not one request failed."""
    report, seen, start, end = under_load(fleet, rolling, "2")
    assert report.result == "succeeded" and report.switched == ("app1", "app2"), report
    during = seen.between(start, end)
    rps = during.total / (end - start)
    drains = [s for s in report.steps if s.step == "draining"]
    print(f"drained rolling deploy: {during.describe()}, {rps:.0f} requests/s over {end - start:.1f} s")
    assert [s.host for s in drains] == ["app1", "app2"]
    for drain in drains:  # requests were in flight when each instance was drained, as the users' log shows
        assert in_flight(seen, drain.at) > 0, f"no request in flight when {drain.host} was drained"
        assert not drain.detail.startswith("0 "), f"HAProxy saw nothing in flight on {drain.host}: {drain.detail}"
    assert rps >= 50, f"only {rps:.0f} requests/s"
    assert seen.failed == 0, seen.describe()
    assert {s.version for s in rolling.instance_states()} == {"2"}


def test_the_control_without_draining_fails_requests_under_load(fleet: Fleet, no_drain: HostsTarget) -> None:
    """The same rollout and load with ``drain: false``: restarting a host in rotation breaks requests in flight,
    so the zero above is draining's doing."""
    report, seen, start, end = under_load(fleet, no_drain, "2")
    during = seen.between(start, end + 0.5)
    print(f"no-drain control: {during.describe()}, {during.total / (end - start):.0f} requests/s")
    assert report.switched == ("app1", "app2")
    assert not [s for s in report.steps if s.step in ("draining", "drained")]
    assert during.failed > 0, during.describe()


@pytest.fixture
def soaking(fleet: Fleet, tmp_path: Path) -> Iterator[HostsTarget]:
    """Drained through HAProxy, a batch of one host, a 2 s soak (release 5 degrades after 3.5 s)."""
    yield from open_rolling(fleet, tmp_path, soak="2s")


def test_a_release_only_users_see_failing_is_rolled_back_newest_first(fleet: Fleet, soaking: HostsTarget) -> None:
    """Release 5 passes every direct check but answers users 500 after a few seconds: the users' error rate through
    the balancer fires during the second batch's soak; app2 then app1 go back to 1, and the fleet is healthy."""
    timeline = Timeline("flawed")
    traffic = Traffic(fleet.balancer_url, clients=8, rate=40, max_seconds=60, paths=("/",)).start()
    try:
        time.sleep(0.5)
        report = soaking.roll_out(DEGRADING_RELEASE, timeline)
    finally:
        traffic.stop()
    t0 = report.steps[0].at
    print("\n".join(f"{s.at - t0:5.2f} {s.host} {s.step} {s.detail}" for s in report.steps))
    assert report.result == "rolled_back", report
    assert report.trigger is not None and report.trigger.trigger == "error_rate", report.trigger
    assert report.switched == ("app1", "app2") and report.restored == ("app2", "app1")
    assert [s.host for s in report.steps if s.step == "restored"] == ["app2", "app1"]
    assert {(s.host, s.version, s.serving) for s in soaking.instance_states()} == {
        ("app1", INITIAL_RELEASE, True),
        ("app2", INITIAL_RELEASE, True),
    }
    assert {s.state for s in fleet.balancer.servers().values()} == {"ready"}
    assert soaking.current_release() == INITIAL_RELEASE
    recover = {m.name: m.seconds for m in timeline.measurements}
    print(f"flawed release: {recover}")
    assert recover["time to recover"] < 15


def links(target: HostsTarget) -> dict[str, str]:
    """Where each app host's ``current`` link points, read over SSH."""
    return {n: target.connection(n).check("readlink /srv/app/current").stdout.strip() for n in ("app1", "app2")}


def test_an_unreachable_balancer_is_one_clear_error_and_nothing_changes(fleet: Fleet, tmp_path: Path) -> None:
    """A wrong admin socket: BalancerError (exit code 1) naming the balancer, before any host is drained."""
    for target in open_rolling(fleet, tmp_path, admin_socket=str(tmp_path / "missing.sock")):
        with pytest.raises(BalancerError, match=r"balancer haproxy at .*missing.sock: unreachable") as caught:
            target.roll_out("2", Timeline("unreachable"))
        assert caught.value.exit_code == 1 and "Traceback" not in caught.value.render()
        assert links(target) == {"app1": "/srv/app/releases/1", "app2": "/srv/app/releases/1"}


def test_a_server_haproxy_does_not_know_is_a_config_error_at_its_line(fleet: Fleet, tmp_path: Path) -> None:
    """``servers: {app1: web9}`` where the backend has no web9: path:line, exit code 2, nothing drained."""
    for target in open_rolling(fleet, tmp_path, servers="{app1: web9, app2: app2}"):
        path = tmp_path / "opsready.yaml"
        line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "web9" in text)
        with pytest.raises(ConfigError) as caught:
            target.roll_out("2", Timeline("unknown server"))
        assert str(caught.value) == (
            f"{path}:{line}: app host app1's server 'web9' is not in HAProxy backend 'app' (its servers: app1, app2)"
        )
        assert caught.value.exit_code == 2
        assert {s.state for s in fleet.balancer.servers().values()} == {"ready"}
        assert links(target) == {"app1": "/srv/app/releases/1", "app2": "/srv/app/releases/1"}


def sessions(fleet: Fleet, server: str) -> int:
    """Requests in flight on a server, as HAProxy counts them."""
    return HaproxyRuntime(str(fleet.balancer.path)).stats("app").servers[server].sessions


def test_a_drain_that_times_out_leaves_that_host_drained_and_says_so(fleet: Fleet, tmp_path: Path) -> None:
    """A request that outlasts ``drain_timeout`` on app1: the deploy stops at draining app1, names the host and the
    step, leaves app1 drained (its request finishes on the old release) and switches nothing."""
    holders = [
        threading.Thread(target=lambda: urllib.request.urlopen(fleet.balancer_url + "work?ms=5000", timeout=10).read())
        for _ in range(2)  # round robin: one of them lands on app1
    ]
    for target in open_rolling(fleet, tmp_path, drain_timeout="500ms"):
        target.lock_state()  # every host's connection open before the requests start: the deploy reaches the drain fast
        for holder in holders:
            holder.start()
        deadline = time.monotonic() + 2
        while sessions(fleet, "app1") < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        with pytest.raises(DeployError) as caught:
            target.roll_out("2", Timeline("drain timeout"))
        assert caught.value.message == (
            "deploy to 2 stopped: host app1: draining in the balancer failed: 1 request(s) still in flight on server "
            "app/app1 after 0.5 s (rollout.drain_timeout); app1 stays drained in the balancer (app/app1); "
            "nothing was switched"
        )
        assert caught.value.exit_code == 1
        assert fleet.balancer.servers()["app1"].state == "drain"
        assert fleet.balancer.servers()["app2"].state == "ready"
        assert links(target) == {"app1": "/srv/app/releases/1", "app2": "/srv/app/releases/1"}
        for holder in holders:
            holder.join(10)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``opsready ARGS`` in a subprocess."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    return subprocess.run(
        [sys.executable, "-m", "opsready.cli", *args], check=False, capture_output=True, text=True, timeout=120, env=env
    )


def test_opsready_deploy_and_rollback_roll_through_the_balancer(fleet: Fleet, tmp_path: Path) -> None:
    """``opsready deploy`` and ``rollback`` on a hosts target with a balancer roll batch by batch (exit code 0);
    a server HAProxy does not know is exit code 2 with the configuration's line."""
    for target in open_rolling(fleet, tmp_path, soak="200ms"):
        config = tmp_path / "opsready.yaml"
        config.write_text(config.read_text() + "safety:\n  destructive_targets: [fleet]\n")
        common = ("--target", "fleet", "--config", str(config), "--allow-destructive")
        deployed = cli("deploy", "2", *common)
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        assert "app1: drained" in deployed.stdout and "app2: soaked" in deployed.stdout, deployed.stdout
        assert "deploy 1 -> 2 on app1, app2" in deployed.stdout
        assert links(target) == {"app1": "/srv/app/releases/2", "app2": "/srv/app/releases/2"}
        back = cli("rollback", "--reason", "rehearsal", *common)
        assert back.returncode == 0, back.stdout + back.stderr
        assert "rollback 2 -> 1 on app2, app1" in back.stdout
        assert links(target) == {"app1": "/srv/app/releases/1", "app2": "/srv/app/releases/1"}
        config.write_text(config.read_text().replace("{app1: app1, app2: app2}", "{app1: web9, app2: app2}"))
        refused = cli("deploy", "2", *common)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert f"{config}:" in refused.stderr + refused.stdout and "Traceback" not in refused.stderr
