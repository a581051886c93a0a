"""The test fleet comes down without a trace: after a full build, a build that failed half-way, and a real Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from opsready.hosts import SshSettings, connect, parse_host_spec

from . import network
from .fleet import APP_HOSTS, DB_HOST, Fleet
from .leftovers import leftovers
from .needs import fleet_unavailable
from .orphans import orphans, sweep_orphans

pytestmark = [
    pytest.mark.hosts,
    pytest.mark.skipif(bool(fleet_unavailable()), reason=f"no test fleet: {fleet_unavailable()}"),
]


def root_network(prefix: str | None) -> dict[str, list[str]]:
    """The root namespace's rules, routes and addresses, to compare before and after building the fleet ``prefix``.

    Lines of other test fleets' links (the session's fleet, say) are left out: they come and go on their own.
    With ``prefix`` None, every fleet's lines are left out.
    """
    views = {"rule": ["rule", "show"], "route": ["route", "show", "table", "all"], "addr": ["-o", "addr", "show"]}
    return {
        name: sorted(
            line
            for line in network.ip(*argv).stdout.splitlines()
            if "ors-" not in line or (prefix is not None and prefix in line)
        )
        for name, argv in views.items()
    }


def pids_of(fleet: Fleet) -> dict[int, float]:
    """Every process the fleet runs (machines and everything in them) and any ssh master in its directory."""
    pids = {}
    for machine in fleet.processes:
        try:
            top = psutil.Process(machine.pid)
            for proc in [top, *top.children(recursive=True)]:
                pids[proc.pid] = proc.create_time()
        except psutil.NoSuchProcess:
            continue
    for proc in psutil.process_iter(["cmdline"]):
        if any(str(fleet.control_dir) in arg for arg in proc.info["cmdline"] or ()):
            pids[proc.pid] = proc.create_time()
    return pids


def test_teardown_leaves_nothing_behind() -> None:
    """A built fleet with an ssh master open is gone after teardown: namespaces, links, mounts, processes, addresses."""
    fleet = Fleet()
    before = root_network(fleet.prefix)
    fleet.build()
    try:
        assert set(fleet.hosts) == {*APP_HOSTS, DB_HOST}
        assert network.links_with(fleet.prefix) == [f"{fleet.prefix}r"], "the root namespace gets one link only"
        settings = SshSettings(fleet.known_hosts, fleet.ssh_config, connect_timeout=3, control_dir=fleet.control_dir)
        conn = connect(parse_host_spec(fleet.spec("app1")), settings)  # left open: teardown must end its master
        assert conn.run("hostname").stdout.strip() == "app1"
        assert list(fleet.control_dir.iterdir()), "the connection shares one ssh master, whose socket is here"
        pids = pids_of(fleet)
        assert len(pids) >= 3 * 3 + 2, f"machines, their sshd/haproxy and web servers, and the ssh master: {pids}"
        namespaces = set(network.namespaces_with(fleet.prefix))
        assert len(namespaces) == 5, namespaces  # switch, three hosts, balancer
    finally:
        problems = fleet.teardown()
    assert problems == []
    assert leftovers(fleet.prefix, fleet.workdir, pids, fleet.netns_inodes, fleet.subnet) == []
    assert root_network(fleet.prefix) == before
    conn.close()
    assert not conn.config_path.parent.exists(), "the connection's own files go with it"


@pytest.mark.parametrize("interrupt", [RuntimeError("hook failed"), KeyboardInterrupt()], ids=["error", "ctrl-c"])
def test_half_built_fleet_is_torn_down(interrupt: BaseException) -> None:
    """A build that stops after its first host (an error, or Ctrl-C raised there) removes what it had made."""
    fleet = Fleet()
    before = root_network(fleet.prefix)
    seen: dict[int, float] = {}

    def after_host(name: str) -> None:
        seen.update(pids_of(fleet))
        raise interrupt

    with pytest.raises(type(interrupt)):
        fleet.build(after_host=after_host)
    assert list(fleet.hosts) == ["app1"], "the build stopped after the first host"
    assert len(seen) >= 3, f"the first host was running (unshare, sshd, web server): {seen}"
    assert leftovers(fleet.prefix, fleet.workdir, seen, fleet.netns_inodes, fleet.subnet) == []
    assert root_network(fleet.prefix) == before


BUILD_THEN_WAIT = """
import signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)  # a pytest-xdist worker's children inherit SIGINT ignored
sys.path.insert(0, {tests!r})
from fleet.fleet import Fleet
fleet = Fleet()
def after_host(name):
    if name == "app2":
        print(fleet.prefix, fleet.workdir, flush=True)
        time.sleep(60)
fleet.build(after_host=after_host)
"""


def test_sigint_during_build_leaves_nothing(tmp_path: Path) -> None:
    """A real SIGINT to a process building a fleet, with two hosts up, ends with nothing of that fleet left."""
    before = root_network(None)  # the builder's prefix is not known yet
    tests = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*sys.path, tests])}
    script = textwrap.dedent(BUILD_THEN_WAIT.format(tests=tests))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode().split()
        assert len(line) == 2, f"the builder printed no prefix: {proc.stderr.read().decode() if proc.poll() else ''}"
        prefix, workdir = line[0], Path(line[1])
        assert len(network.namespaces_with(prefix)) == 3, "switch and two hosts were up when interrupted"
        running = {
            p.pid: p.create_time()
            for p in psutil.process_iter(["cmdline"])
            if p.pid != proc.pid and any(str(workdir) in a for a in p.info["cmdline"] or ())
        }
        assert len(running) >= 4, f"both hosts' processes were running: {running}"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0 and b"KeyboardInterrupt" in err
    deadline = time.monotonic() + 5
    while (left := leftovers(prefix, workdir, running)) and time.monotonic() < deadline:
        time.sleep(0.1)  # the kernel reaps a namespace's last processes a moment after its init died
    assert left == []
    after = root_network(prefix)
    assert not any(prefix in line for lines in after.values() for line in lines)
    assert root_network(None) == before


def test_fleet_of_a_killed_harness_is_swept_and_a_live_one_is_not(fleet: Fleet) -> None:
    """SIGKILL leaves a builder's fleet up; sweep_orphans removes it completely and leaves the running fleet alone."""
    tests = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*sys.path, tests])}
    script = textwrap.dedent(BUILD_THEN_WAIT.format(tests=tests))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        assert proc.stdout is not None
        prefix, workdir_text = proc.stdout.readline().decode().split()
        workdir = Path(workdir_text)
        proc.kill()
        proc.wait(10)
        assert len(network.namespaces_with(prefix)) == 3, "SIGKILL left the orphan's switch and two hosts up"
        assert [p for p, _ in orphans()] == [prefix], "the running session fleet is no orphan"
        swept = sweep_orphans()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert swept == [f"removed orphaned fleet {prefix}"]
    deadline = time.monotonic() + 5
    while (left := leftovers(prefix, workdir)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == []
    assert len(network.namespaces_with(fleet.prefix)) == 5, "the live fleet kept its namespaces"
    assert fleet.balancer.servers()["app1"].up, "and its balancer still sees app1 up"
