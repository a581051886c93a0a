"""Rolling deploys through the fleet's HAProxy under real traffic: drained hosts fail no request, the same deploy
without draining does (the control), a release only users' traffic shows is rolled back host by host, newest first."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsready.hosts.adapter import HostsTarget
from opsready.targets.rolling import RolloutReport
from opsready.timeline import Timeline
from opsready.traffic import Traffic, TrafficReport

from .fleet import Fleet
from .machine import DEGRADING_RELEASE, INITIAL_RELEASE, SERVICE
from .target import open_fleet_target, rolling_yaml

pytestmark = pytest.mark.hosts

RATE = 64.0  # requests/s through the balancer, each in flight 150 ms: about ten at any moment
SLOW = "/work?ms=150"


def reset(fleet: Fleet, target: HostsTarget) -> None:
    """Every server back in rotation, every app host on the first release with no history, serving."""
    for name in ("app1", "app2"):
        fleet.balancer.set_state(name, "ready")
        conn = target.connection(name)
        conn.check(
            f"ln -sfn /srv/app/releases/{INITIAL_RELEASE} /srv/app/current && rm -f /srv/app/.opsready-history.jsonl"
        )
        url = f"{target.options.instance_url(target.entry(name))}/version"
        with urllib.request.urlopen(url, timeout=5) as response:
            serving = response.read().decode().strip()
        if serving != INITIAL_RELEASE:
            conn.check(f"{target.options.supervisorctl} -c {target.options.supervisor_config} restart {SERVICE}")


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


def under_load(fleet: Fleet, target: HostsTarget, version: str) -> tuple[RolloutReport, TrafficReport, float, float]:
    """Roll ``version`` out while 16 clients send RATE requests/s through the balancer; (report, what users saw
    while it ran, its start and end)."""
    traffic = Traffic(fleet.balancer_url, clients=16, rate=RATE, max_seconds=60, paths=(SLOW,)).start()
    try:
        time.sleep(1.0)  # every client sending
        start = time.monotonic()
        report = target.roll_out(version, Timeline(f"deploy {version}"))
        end = time.monotonic()
        time.sleep(0.5)
    finally:
        seen = traffic.stop()
    return report, seen, start, end


def in_flight(seen: TrafficReport, at: float) -> int:
    """Requests the users had sent and not yet seen answered at ``at``."""
    return sum(1 for s in seen.samples if s.at <= at < s.at + s.latency)


def test_a_drained_rolling_deploy_fails_no_request_under_load(fleet: Fleet, rolling: HostsTarget) -> None:
    """Two hosts, one at a time, each drained while about ten requests were in flight: not one request failed."""
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
