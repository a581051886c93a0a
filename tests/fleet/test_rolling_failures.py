"""A rolling deploy that loses a host, and a flawed release's rollback that must not empty the balancer.

- SSH to app1 cut (nftables in its namespace) right after app1 was drained: the deploy stops naming app1 and the
  step, app1 stays drained (out of rotation), app2 keeps serving: no user request fails.
- A degrading release rolled back while HAProxy's health checks have app1 down: draining app2 then would leave no
  server; it is switched in rotation instead (the step says so), and users see fewer failed requests during the
  rollback than with ``drain_last: true`` (the control, measured in the same way).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsready.errors import DeployError
from opsready.hosts.adapter import HostsTarget
from opsready.timeline import Timeline
from opsready.traffic import Traffic

from .cut import cut, ssh_cut_window
from .fleet import Fleet
from .machine import DEGRADING_RELEASE, INITIAL_RELEASE
from .rolling_load import reset
from .target import open_fleet_target, rolling_yaml

pytestmark = pytest.mark.hosts


def opened(fleet: Fleet, directory: Path, **kw: object) -> Iterator[HostsTarget]:
    """The fleet as a rolling target; afterwards every cut mended, the fleet put back as it was, closed."""
    directory.mkdir(exist_ok=True)
    target = open_fleet_target(fleet, directory, rolling_yaml(fleet, **kw))  # type: ignore[arg-type]
    try:
        with ssh_cut_window(fleet, "app1"):
            yield target
    finally:
        target.close()  # the master connection to app1 died with the cut: open fresh ones for the reset
        target = open_fleet_target(fleet, directory, rolling_yaml(fleet, **kw))  # type: ignore[arg-type]
        try:
            target.clear_lock()
            reset(fleet, target)
        finally:
            target.close()


@pytest.fixture
def rolling(fleet: Fleet, tmp_path: Path) -> Iterator[HostsTarget]:
    """Drained through HAProxy, a batch of one host, a 1 s soak."""
    yield from opened(fleet, tmp_path)


def test_ssh_lost_in_the_middle_of_a_batch_leaves_that_host_drained(fleet: Fleet, rolling: HostsTarget) -> None:
    """SSH to app1 cut just after it was drained: the deploy stops naming app1 and the step that failed, app1
    stays out of rotation, app2 serves every request meanwhile, and the error comes within the time limits."""
    said: list[str] = []

    def say(line: str) -> None:
        said.append(line)
        if line.startswith("app1: drained"):
            cut(fleet, "app1")

    traffic = Traffic(fleet.balancer_url, clients=4, rate=20, max_seconds=90, paths=("/",)).start()
    try:
        time.sleep(0.5)
        start = time.monotonic()
        with pytest.raises(DeployError) as caught:
            rolling.roll_out("2", Timeline("ssh lost"), say)
        took = time.monotonic() - start
        time.sleep(0.5)
    finally:
        seen = traffic.stop()
    message = caught.value.message
    print(f"ssh lost: {took:.1f} s, {message}\nusers: {seen.describe()}")
    assert message.startswith("deploy to 2 stopped: host app1: switching the current link to 2 failed: "), message
    assert "app1 stays drained in the balancer, app/app1" in message, message
    assert caught.value.exit_code == 1 and "Traceback" not in caught.value.render()
    states = fleet.balancer.servers()
    assert (states["app1"].state, states["app2"].state) == ("drain", "ready")
    assert took < 60, "every SSH wait is bounded"
    assert seen.total > 0 and seen.failed == 0, seen.describe()
    assert any(s.at > start + 5 and not s.failed for s in seen.samples), "users were served while app1 was cut off"


def degraded_rollback(fleet: Fleet, target: HostsTarget) -> tuple[int, int, list[str]]:
    """Deploy the degrading release under traffic; when its trigger fires, wait until HAProxy's health checks have
    app1 down (its users get 500), then let the rollback run. (requests, failed requests) from then until the
    rollback ended, and what the rollout said."""
    said: list[str] = []
    window: list[float] = []

    def say(line: str) -> None:
        said.append(line)
        if line.startswith("rollback trigger"):
            deadline = time.monotonic() + 10
            while fleet.balancer.servers()["app1"].up and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not fleet.balancer.servers()["app1"].up, "HAProxy never took the degraded app1 down"
            window.append(time.monotonic())

    traffic = Traffic(fleet.balancer_url, clients=8, rate=40, max_seconds=90, paths=("/",)).start()
    try:
        time.sleep(0.5)
        report = target.roll_out(DEGRADING_RELEASE, Timeline("flawed"), say)
        window.append(time.monotonic())
        time.sleep(0.3)
    finally:
        seen = traffic.stop()
    assert report.result == "rolled_back" and report.restored == ("app2", "app1"), report
    assert {s.version for s in target.instance_states()} == {INITIAL_RELEASE}
    during = seen.between(window[0], window[1])
    return during.total, during.failed, said


@pytest.fixture
def soaking(fleet: Fleet, tmp_path: Path) -> Iterator[HostsTarget]:
    """A 2 s soak: release 5 degrades during the second batch's."""
    yield from opened(fleet, tmp_path / "keep", soak="2s")


@pytest.fixture
def soaking_control(fleet: Fleet, tmp_path: Path) -> Iterator[HostsTarget]:
    """The same, with ``drain_last: true``: the last server in rotation is drained anyway."""
    yield from opened(fleet, tmp_path / "control", soak="2s", drain_last=True)


def test_a_rollback_does_not_drain_the_last_server_in_rotation(
    fleet: Fleet, soaking: HostsTarget, soaking_control: HostsTarget
) -> None:
    """With app1 down in HAProxy, draining app2 would leave users no server: the rollback switches app2 in rotation
    and says so; failed requests during the rollback are fewer than the control's, which drains it (measured)."""
    total_control, failed_control, said_control = degraded_rollback(fleet, soaking_control)
    reset(fleet, soaking_control)
    time.sleep(1.0)  # HAProxy's checks see both servers up again
    total, failed, said = degraded_rollback(fleet, soaking)
    print(f"rollback with app1 down: drained anyway {failed_control}/{total_control} failed; kept {failed}/{total}")
    skipped = [line for line in said if line.startswith("app2: draining (skipped: draining would leave no server")]
    assert skipped, said
    assert not [line for line in said_control if "skipped" in line], said_control
    assert failed_control > 0, "the control must show what draining the last server costs users"
    assert failed < failed_control
