"""Faults on the fleet's hosts, placed over SSH: each kind injected, seen from outside, reverted, seen healthy again,
and nothing of it left (no nft table, cgroup or process, checked by pid on this machine)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsready.errors import TargetError, UsageError, ValidationError
from opsready.hosts.adapter import HostsTarget
from opsready.targets.faults import FaultInjectable

from .fleet import Fleet
from .host_faults import alive, fault, http_status, leftovers, need_nft, open_faults_target, timer_pids, wait_for
from .machine import WEB_PORT

pytestmark = pytest.mark.hosts


@pytest.fixture
def target(fleet: Fleet, tmp_path: Path) -> Iterator[HostsTarget]:
    """The fleet as a fault-injecting target; afterwards nothing of any fault may be left."""
    opened = open_faults_target(fleet, tmp_path)
    try:
        yield opened
        assert all(o.ok for o in opened.fault_residue()), [o.describe() for o in opened.fault_residue()]
    finally:
        opened.close()
    assert not leftovers(fleet), leftovers(fleet)


def url(fleet: Fleet, host: str = "app1") -> str:
    return f"http://{fleet.hosts[host].address}:{WEB_PORT}/healthz"


def test_is_fault_injectable_with_host_choices(target: HostsTarget) -> None:
    """The kinds name the target's hosts; a host that is not the target's is a validation error, before any SSH."""
    assert isinstance(target, FaultInjectable)
    kinds = {k.name: k for k in target.fault_kinds()}
    assert set(kinds) == {
        "service-stop", "service-kill", "service-pause", "port-drop", "port-reject", "partition", "cpu-hog",
        "memory-pressure",
    }  # fmt: skip
    assert kinds["port-drop"].param("host").choices == ("app1", "app2", "db")  # type: ignore[union-attr]
    with pytest.raises(ValidationError, match="must be one of"):
        fault(target, "service-stop", {"host": "web9"})


@pytest.mark.parametrize("kind", ["service-stop", "service-kill", "service-pause"])
def test_service_fault(fleet: Fleet, target: HostsTarget, kind: str) -> None:
    """The instance stops answering (refused, or hangs when paused); the revert brings it back; no timer is left."""
    f = fault(target, kind, {"host": "app1"})
    assert http_status(url(fleet)) == "200"
    f.inject(time.time() + 30)
    timers = timer_pids(fleet)
    assert len(timers) == 1, "one on-host timer per fault"
    if kind == "service-kill":  # supervisor restarts it at once: what is gone is the process that ran
        pid, start = f.facts["service_process"].split("@")
        now = target.connection("app1").run(f"sed 's/.*) //' /proc/{pid}/stat | cut -d' ' -f20").stdout.strip()
        assert now != start, f"process {pid} still runs"
    else:
        expected = "timeout" if kind == "service-pause" else "refused"
        assert http_status(url(fleet)) == expected
    assert not f.verify_reverted().ok or kind == "service-kill"
    f.revert(10)
    assert f.verify_reverted().ok, f.verify_reverted().describe()
    assert wait_for(lambda: http_status(url(fleet)), "200")[0] == "200"
    assert not alive(timers), "the revert ended the host's timer"


@pytest.mark.parametrize(("kind", "seen"), [("port-reject", "refused"), ("port-drop", "timeout")])
def test_port_fault(fleet: Fleet, target: HostsTarget, kind: str, seen: str) -> None:
    """Traffic to the port is rejected (refused at once) or dropped (the client times out) on that host only."""
    need_nft()
    f = fault(target, kind, {"host": "app1", "port": WEB_PORT})
    f.inject(time.time() + 30)
    assert http_status(url(fleet)) == seen
    assert http_status(url(fleet, "app2")) == "200", "only the named host"
    f.revert(10)
    assert f.verify_reverted().ok
    assert http_status(url(fleet)) == "200"


def test_port_fault_on_the_ssh_port_is_refused(target: HostsTarget) -> None:
    """Dropping the port opsready reaches the host through would cut the line its revert needs."""
    with pytest.raises(TargetError, match="port 22 is the port opsready reaches the host through"):
        fault(target, "port-drop", {"host": "app1", "port": 22})


def reaches(target: HostsTarget, host: str, address: str) -> bool:
    """Whether ``host`` opens a TCP connection to ``address``:22 within 1 s (asked over SSH)."""
    code = f"import socket; socket.create_connection(('{address}', 22), timeout=1).close()"
    return target.connection(host).run(f'python3 -c "{code}"').succeeded


def test_partition_cuts_an_app_host_off_from_the_database_host(fleet: Fleet, target: HostsTarget) -> None:
    """app1 cannot reach db (nor db app1); app2 still can; after the revert app1 can again."""
    need_nft()
    db = fleet.hosts["db"].address
    f = fault(target, "partition", {"host": "app1"})  # peer: the database host by default
    assert dict(f.prepare())["peer_addresses"] == db
    assert reaches(target, "app1", db)
    f.inject(time.time() + 30)
    assert not reaches(target, "app1", db)
    assert not reaches(target, "db", fleet.hosts["app1"].address)
    assert reaches(target, "app2", db)
    f.revert(10)
    assert f.verify_reverted().ok
    assert reaches(target, "app1", db)


def test_revert_is_idempotent_and_harmless_when_never_injected(target: HostsTarget) -> None:
    """A revert from another process may come first, twice, or for a fault never applied."""
    need_nft()
    for kind, params in (("service-stop", {}), ("port-drop", {"port": WEB_PORT}), ("partition", {})):
        f = fault(target, kind, {"host": "app1", **params})
        f.revert(5)
        f.revert(5)
        assert f.verify_reverted().ok


def test_a_fault_holds_the_fleet_lock_for_its_run_from_inject_to_revert(
    fleet: Fleet, target: HostsTarget, tmp_path: Path
) -> None:
    """While one run's fault is in place another run's deploy is refused (exit code 2's UsageError, naming the fault),
    the run's own mutating operations go on under the lock it holds (a drill's mitigation), and the revert frees the
    fleet."""
    (tmp_path / "other").mkdir()
    other = open_faults_target(fleet, tmp_path / "other")
    f = fault(target, "service-pause", {"host": "app2"})
    try:
        f.inject(time.time() + 30)
        assert all(s.held and "'fault t" in s.who for s in target.lock_state()), "held on every app host"
        with pytest.raises(UsageError, match=r"another run holds it: 'fault t\d+-\d+' from"):
            other.deploy("2")
        assert target.currents() == {"app1": "1", "app2": "1"}
        with target.fleet_lock("deploy 2") as held:  # this run's own operation: the lock it already holds
            assert held.taken and held.operation.startswith("fault ")
        f.revert(10)
        assert not any(s.held for s in target.lock_state()), "the revert released it"
        with other.fleet_lock("deploy 2") as taken:  # free again for another run
            assert len(taken.taken) == 2
    finally:
        f.revert(10)
        other.close()
    assert not any(s.held for s in target.lock_state()), "nobody holds the lock any more"
