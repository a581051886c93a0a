"""Support for the host-fault tests: the fleet as a target faults may change, and what a fault could leave behind,
read from this machine directly (the fleet's hosts are namespaces of it: their processes are in its /proc, their
cgroups in its /sys/fs/cgroup), never through the product's fault code."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from opsready.errors import Loc
from opsready.hosts.adapter import HostsTarget
from opsready.hosts.faults.base import HostFault
from opsready.targets.faults import parse_fault_spec

from .fleet import Fleet
from .target import fleet_yaml, open_fleet_target

TIMER_MARK = "opsready-fault-timer"


def need_nft() -> None:
    """Skip, saying why, where the nft command (Debian's nftables, installed by make system-tools) is missing."""
    if shutil.which("nft") is None:
        pytest.skip("the network faults need nft on the hosts (Debian's nftables: `make system-tools` installs it)")


def faults_yaml(fleet: Fleet) -> str:
    """The fleet's configuration, with the fleet allowed to take faults."""
    return fleet_yaml(fleet) + "safety:\n  destructive_targets: [fleet]\n"


def open_faults_target(fleet: Fleet, directory: Path) -> HostsTarget:
    """The fleet as a target that keeps its fault journals under ``directory``."""
    target = open_fleet_target(fleet, directory, faults_yaml(fleet))
    target.state_dir = directory / "state"
    return target


def fault(target: HostsTarget, kind: str, params: dict[str, object], limit: float = 30.0) -> HostFault:
    """A prepared fault (its facts read from the hosts), ready to inject."""
    spec = parse_fault_spec(target.fault_kinds(), kind, params, limit, Loc("test"))
    fault_id = f"t{os.getpid()}-{int(time.time() * 1000)}"
    made = target.fault(spec, fault_id, target.fault(spec, fault_id).prepare())
    assert isinstance(made, HostFault)
    return made


def fault_groups() -> list[Path]:
    """Every host fault's cgroup on this machine (the fleet's hosts share its cgroup v1 hierarchies, so another
    fleet's would be seen too: the tests that make them run alone, in make test's serial pass)."""
    return sorted(p for p in Path("/sys/fs/cgroup").glob("*/opsready-fault-*") if p.is_dir())


def group_pids(group: Path) -> set[int]:
    """The processes of a cgroup, as this machine numbers them."""
    try:
        return {int(x) for x in (group / "cgroup.procs").read_text().split()}
    except OSError:
        return set()


def timer_pids(fleet: Fleet) -> set[int]:
    """Live fault timers on the fleet's hosts, by their command line and network namespace (another fleet's, built
    by a test run beside this one, are not this fleet's)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
            netns = os.stat(f"/proc/{entry}/ns/net").st_ino
        except OSError:
            continue
        if TIMER_MARK.encode() in argv and state != "Z" and netns in fleet.netns_inodes:
            found.add(int(entry))
    return found


def alive(pids: set[int]) -> set[int]:
    """The pids of ``pids`` that still run (zombies excluded)."""
    left = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            left.add(pid)
    return left


def nft_tables(fleet: Fleet) -> list[str]:
    """opsready's nftables tables in each host's network namespace, read from outside as root can: a read-only
    check independent of the SSH layer under test (every host *operation* of the tests goes over SSH)."""
    found = []
    for name, host in fleet.hosts.items():
        out = subprocess.run(
            ["ip", "netns", "exec", host.namespace, "nft", "list", "tables"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
        found += [f"{name}: {line}" for line in out.splitlines() if "opsready" in line]
    return found


def leftovers(fleet: Fleet) -> list[str]:
    """Anything of any host fault still on the machine: cgroups, timers, nft tables."""
    return (
        [f"cgroup {g}" for g in fault_groups()]
        + [f"timer pid {p}" for p in timer_pids(fleet)]
        + [f"nft {t}" for t in nft_tables(fleet)]
    )


def http_status(url: str, timeout: float = 1.0) -> str:
    """'200', or what went wrong: 'refused', 'timeout', another error's name."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return str(response.status)
    except OSError as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, ConnectionRefusedError):
            return "refused"
        if isinstance(reason, (TimeoutError, socket.timeout)):
            return "timeout"
        return type(reason).__name__


def wait_for(check: object, want: str, timeout: float = 10.0) -> tuple[str, float]:
    """Poll ``check()`` until it returns ``want``; the last answer and when (monotonic)."""
    assert callable(check)
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got == want or time.monotonic() > deadline:
            return got, time.monotonic()
        time.sleep(0.1)


def opsready_cli(*args: str) -> list[str]:
    """The opsready command line, from this interpreter (and so this checkout's code)."""
    return [sys.executable, "-m", "opsready.cli", *args]
