"""Fault kinds of a ``platform: hosts`` target, without any host: their schemas name the target's hosts, a host not
in the list is refused, plans describe without connecting, facts never look like this machine's pids, and every
shell command a fault sends parses (``sh -n``)."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest

from opsready.chaos.journal import names_process
from opsready.errors import Loc, TargetError, UsageError, ValidationError
from opsready.hosts.adapter import HostsTarget
from opsready.hosts.connection import RemoteResult
from opsready.hosts.faults.base import HostFault
from opsready.targets.faults import FaultInjectable, parse_fault_spec
from tests.unit.hosts.test_hosts_options import GOOD, load

EXAMPLES: dict[str, dict[str, object]] = {
    "service-stop": {"host": "app1.example.com"},
    "service-kill": {"host": "app1.example.com"},
    "service-pause": {"host": "app1.example.com"},
    "port-drop": {"host": "app2.example.com", "port": 8080},
    "port-reject": {"host": "app2.example.com", "port": 53, "protocol": "udp"},
    "partition": {"host": "app1.example.com"},
    "cpu-hog": {"host": "db.example.com", "share": "50%"},
    "memory-pressure": {"host": "db.example.com", "share": "5%"},
}
ANSWERS = {  # what a fake host answers, by a piece of the command
    " opsready-lock acquire ": "TAKEN",  # the fleet lock a fault holds for its run (hosts/lock.py)
    " opsready-lock release ": "RELEASED",
    " status ": "orders                           RUNNING   pid 29, uptime 0:01:03",
    "/stat": "418438",
    "cgroup2": "",
    "/proc/mounts": "/sys/fs/cgroup/cpu",
    "nproc": "2",
    "meminfo": "MemTotal:       1000000 kB\nMemAvailable:    800000 kB",
    "ip -o addr": "2: eth0    inet 10.0.0.21/24 brd 10.0.0.255 scope global eth0\\       valid_lft forever",
}


class FakeConnection:
    """Answers like a healthy host and keeps every command it was sent."""

    def __init__(self, name: str, sent: list[str]) -> None:
        self.name = name
        self.sent = sent

    def run(self, command: str, timeout: float | None = None) -> RemoteResult:
        self.sent.append(command)
        out = next((answer for piece, answer in ANSWERS.items() if piece in command), "")
        return RemoteResult(self.name, command, 0, out, "")


@pytest.fixture
def target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HostsTarget:
    monkeypatch.setenv("OPSREADY_STATE_DIR", str(tmp_path / "state"))
    return load(tmp_path, GOOD.replace("sudo: true", "sudo: false"))


def faked(target: HostsTarget, sent: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(target, "connection", lambda name: FakeConnection(target.entry(name).name, sent))


def make(target: HostsTarget, kind: str, facts: tuple[tuple[str, str], ...] = ()) -> HostFault:
    spec = parse_fault_spec(target.fault_kinds(), kind, EXAMPLES[kind], "5 seconds", Loc("exp.yaml", 3))
    fault = target.fault(spec, "20261202T120000Z-42-ab12-1", facts)
    assert isinstance(fault, HostFault)
    return fault


def test_kinds_name_the_targets_hosts(target: HostsTarget, tmp_path: Path) -> None:
    """Every kind acts on one host among the target's; a partition's peer defaults to the database host."""
    assert isinstance(target, FaultInjectable)
    kinds = {k.name: k for k in target.fault_kinds()}
    assert set(kinds) == set(EXAMPLES)
    hosts = ("app1.example.com", "app2.example.com", "db.example.com")
    assert all(k.param("host").choices == hosts for n, k in kinds.items() if n != "partition")  # type: ignore[union-attr]
    assert kinds["partition"].param("host").choices == hosts[:2]  # type: ignore[union-attr]
    assert kinds["partition"].param("peer").default == "db.example.com"  # type: ignore[union-attr]
    assert target.fault_journal_dir() == tmp_path / "state" / "hosts" / "staging" / "faults"


def test_a_host_not_in_the_list_is_refused(target: HostsTarget) -> None:
    """In an experiment, at its line; and by the target itself for a spec that skipped validation."""
    with pytest.raises(ValidationError, match=r"exp\.yaml:3: .*'host' must be one of"):
        parse_fault_spec(target.fault_kinds(), "service-stop", {"host": "web9"}, None, Loc("exp.yaml", 3))
    spec = parse_fault_spec(target.fault_kinds(), "service-stop", EXAMPLES["service-stop"], None, Loc("x"))
    forged = type(spec)(spec.kind, (("host", "web9"), ("service", "orders")), 5.0)
    with pytest.raises(UsageError, match="host 'web9' is not one of target 'staging''s hosts"):
        target.fault(forged, "id-1")


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_describe_contacts_nothing(target: HostsTarget, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan names the host and how the fault ends, without a connection."""
    monkeypatch.setattr(target, "connection", lambda name: pytest.fail("describe opened a connection"))
    text = make(target, kind).describe()
    assert EXAMPLES[kind]["host"] in text and ("after 5 s" in text), text


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_every_command_parses_and_no_fact_names_a_local_pid(
    target: HostsTarget, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """prepare, inject, revert and verify send shell that dash parses; the facts a journal keeps are no pids of
    this machine (the journal would check them against its own processes)."""
    sent: list[str] = []
    faked(target, sent, monkeypatch)
    facts = make(target, kind).prepare()
    assert not [name for name, _ in facts if names_process(name)], facts
    fault = make(target, kind, facts)
    fault.inject(9e9)
    with contextlib.suppress(TargetError):  # the fake host's service never gets a new pid: only the commands matter
        fault.revert(0.0)
    fault.verify_reverted()
    assert sent
    for command in sent:
        checked = subprocess.run(["sh", "-n", "-c", command], capture_output=True, text=True, check=False)
        assert checked.returncode == 0, f"{command}\n{checked.stderr}"


def test_the_ssh_port_and_a_self_partition_are_refused(target: HostsTarget, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fault that would cut opsready's own line to the host, or a host from itself, is refused when prepared."""
    faked(target, [], monkeypatch)
    spec = parse_fault_spec(target.fault_kinds(), "port-drop", {"host": "db.example.com", "port": 2222}, None, Loc("x"))
    with pytest.raises(Exception, match="port 2222 is the port opsready reaches the host through"):
        target.fault(spec, "id-1").prepare()
    spec = parse_fault_spec(
        target.fault_kinds(), "partition", {"host": "app1.example.com", "peer": "app1.example.com"}, None, Loc("x")
    )
    with pytest.raises(Exception, match="cannot be partitioned from itself"):
        target.fault(spec, "id-2").prepare()
