"""The fleet lock on the hosts themselves: two deploys at once, the second refused (exit code 2) naming the host, the
step and the holder; a run SIGKILLed with the lock held is refused while its lease runs, then taken over, and
``clear_lock`` frees a lock at once. App hosts whose ``current`` links differ are one error, before any change."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsready.errors import DeployError, RollbackError, UsageError
from opsready.hosts.adapter import HostsTarget
from opsready.hosts.lock import LOCK_FILE
from opsready.timeline import Timeline

from .fleet import Fleet
from .rolling_load import destructive_rolling

pytestmark = pytest.mark.hosts
SRC = str(Path(__file__).parents[2] / "src")


@pytest.fixture
def rolling(fleet: Fleet, tmp_path: Path) -> Iterator[HostsTarget]:
    """The fleet as a rolling target (destructive runs allowed); afterwards put back, no lock left, closed."""
    yield from destructive_rolling(fleet, tmp_path, soak="200ms")


def links(target: HostsTarget) -> dict[str, str]:
    """Where each app host's ``current`` link points, read over SSH."""
    return {n: target.connection(n).check("readlink /srv/app/current").stdout.strip() for n in ("app1", "app2")}


def cli(config: Path, *args: str) -> subprocess.Popen[str]:
    """``opsready ARGS --target fleet`` started in a subprocess."""
    env = {**os.environ, "PYTHONPATH": SRC}
    argv = [sys.executable, "-m", "opsready.cli", *args, "--target", "fleet", "--config", str(config)]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_locked(target: HostsTarget, what: str, timeout: float = 30) -> None:
    """Wait until every host's lock is held by a run whose line contains ``what``."""
    deadline = time.monotonic() + timeout
    while not all(s.held and what in s.who for s in target.lock_state()):
        assert time.monotonic() < deadline, [s.describe() for s in target.lock_state()]
        time.sleep(0.1)


def test_a_second_deploy_while_one_runs_is_refused_with_exit_code_2(
    fleet: Fleet, rolling: HostsTarget, tmp_path: Path
) -> None:
    """Deploy 2 runs (an 8 s soak per host); deploy 3 started meanwhile from another process is refused: exit 2, one
    message naming the host, the step and the holder, no traceback; the first finishes (exit 0) on release 2."""
    path = tmp_path / "opsready.yaml"
    path.write_text(path.read_text().replace("soak: 200ms", "soak: 8s"))
    first = cli(path, "deploy", "2", "--allow-destructive")
    try:
        wait_locked(rolling, "'deploy 2'")
        second = cli(path, "deploy", "3", "--allow-destructive")
        out, err = second.communicate(timeout=120)
        assert second.returncode == 2, out + err
        text = out + err
        assert "host app1: taking the fleet lock for deploy 3 on target 'fleet' refused: another run holds it" in text
        assert f"'deploy 2' from {os.uname().nodename} pid {first.pid}" in text, text
        assert "nothing was changed" in text and "Traceback" not in text
        first_out, first_err = first.communicate(timeout=120)
        assert first.returncode == 0, first_out + first_err
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)
    assert links(rolling) == {"app1": "/srv/app/releases/2", "app2": "/srv/app/releases/2"}
    assert not any(s.held for s in rolling.lock_state()), "the first run released its lock"


HOLDER = """
import sys, time
from pathlib import Path
from opsready.config import load_config
from opsready.hosts.adapter import open_target
config = load_config(Path(sys.argv[1]))
target = open_target(config, config.target("fleet"))
target.lock_lease = float(sys.argv[2])
target.fleet_lock("deploy 9").__enter__()
print("held", flush=True)
time.sleep(600)
"""


def killed_holder(config: Path, lease: float, machine: str = "") -> int:
    """A run that takes the fleet lock with ``lease`` and is then SIGKILLed (it never releases); its pid. With
    ``machine`` it runs in a UTS namespace of its own under that host name: a run of another machine, whose death
    this one cannot see (only its lease ends its lock)."""
    env = {**os.environ, "PYTHONPATH": SRC}
    argv = [sys.executable, "-c", HOLDER, str(config), str(lease)]
    if machine:
        argv = ["unshare", "--uts", "sh", "-c", f'hostname {machine} && exec "$@"', "holder", *argv]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    finally:
        proc.send_signal(signal.SIGKILL)  # the process we just started
        proc.wait(10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # its ssh masters: the group we made for it
    return proc.pid


def test_a_dead_runs_lock_is_refused_until_its_lease_runs_out_then_taken_over(
    fleet: Fleet, rolling: HostsTarget, tmp_path: Path
) -> None:
    """A run of another machine SIGKILLed holding the lock (10 s lease): a deploy right after is refused naming it
    (exit code 2); the lock reads as stale once the lease ran out on the hosts' clocks, and the next deploy takes it
    over and says so."""
    pid = killed_holder(tmp_path / "opsready.yaml", 10, machine="elsewhere")
    with pytest.raises(UsageError, match=rf"host app1: taking the fleet lock .* pid {pid} .*lease runs out in") as e:
        rolling.roll_out("2", Timeline("refused"))
    assert e.value.exit_code == 2
    assert links(rolling) == {"app1": "/srv/app/releases/1", "app2": "/srv/app/releases/1"}
    time.sleep(11)
    states = rolling.lock_state()
    assert all(s.held and s.seconds_left <= 0 for s in states), [s.describe() for s in states]
    assert "stale lock of 'deploy 9'" in states[0].describe()
    said: list[str] = []
    report = rolling.roll_out("2", Timeline("takes over"), said.append)
    assert report.result == "succeeded"
    taken = [line for line in said if "took over the stale fleet lock of 'deploy 9'" in line]
    assert len(taken) == 2, said  # app1, app2
    assert not any(s.held for s in rolling.lock_state())


def test_clear_lock_frees_the_fleet_at_once(fleet: Fleet, rolling: HostsTarget, tmp_path: Path) -> None:
    """Another machine's dead run's lock with a 10-minute lease: refused, then ``clear_lock`` and the deploy runs."""
    killed_holder(tmp_path / "opsready.yaml", 600, machine="elsewhere")
    with pytest.raises(UsageError, match="another run holds it"):
        rolling.deploy("2")
    assert rolling.connection("app2").run(f"test -s {LOCK_FILE}").succeeded, "the lock is on every app host"
    assert not rolling.connection("db").run(f"test -e {LOCK_FILE}").succeeded, "not on the database host"
    rolling.clear_lock()
    assert not any(s.held for s in rolling.lock_state())
    assert rolling.deploy("2").version == "2"


def test_a_killed_run_of_this_machine_is_taken_over_at_once(fleet: Fleet, rolling: HostsTarget, tmp_path: Path) -> None:
    """A run of this machine SIGKILLed holding the lock (10-minute lease): its process is gone, so the next deploy
    takes the lock over at once, naming it, instead of waiting out the lease."""
    pid = killed_holder(tmp_path / "opsready.yaml", 600)
    assert all(s.held and f"pid {pid} " in s.who for s in rolling.lock_state())
    said: list[str] = []
    report = rolling.roll_out("2", Timeline("takes over"), said.append)
    assert report.result == "succeeded"
    taken = [line for line in said if "took over the fleet lock of 'deploy 9' from" in line and "is gone" in line]
    assert len(taken) == 2, said  # app1, app2
    assert not any(s.held for s in rolling.lock_state())


def test_current_links_that_differ_are_one_error_before_any_change(fleet: Fleet, rolling: HostsTarget) -> None:
    """app2's ``current`` switched by hand to 2: deploy and rollback each refuse with one message naming every
    app host and its release (exit code 1); no link moved, every server still in rotation, no lock left."""
    rolling.connection("app2").check("ln -sfn /srv/app/releases/2 /srv/app/current")
    with pytest.raises(DeployError) as deploy:
        rolling.roll_out("3", Timeline("differ"))
    assert deploy.value.message == (
        "deploy to 3 refused: the app hosts are on different releases (app1 -> 1, app2 -> 2); nothing was changed"
    )
    with pytest.raises(RollbackError) as back:
        rolling.roll_back("differ", Timeline("differ"))
    assert back.value.message == (
        "rollback refused: the app hosts are on different releases (app1 -> 1, app2 -> 2); nothing was changed"
    )
    assert deploy.value.exit_code == back.value.exit_code == 1
    assert links(rolling) == {"app1": "/srv/app/releases/1", "app2": "/srv/app/releases/2"}
    assert {s.state for s in fleet.balancer.servers().values()} == {"ready"}
    assert not any(s.held for s in rolling.lock_state())
